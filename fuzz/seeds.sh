#!/usr/bin/env bash
# seeds.sh TARGET OUTDIR SHARED - build the seed corpus of a fuzz target from the
# real data in ../shared (never copied into the tree).
set -eu  # no pipefail: `head` closing a pipe early is fine here
target=$1 out=$2 shared=$3
mkdir -p "$out"
[ -n "$(ls -A "$out" 2>/dev/null)" ] && exit 0
case "$target" in
rules)
    find "$shared/sigma/rules" -name '*.yml' | sort | head -400 | while read -r f; do
        cp "$f" "$out/$(basename "$f")"
    done ;;
condition)
    grep -rhoE '^\s+condition: .*' "$shared/sigma/rules" | sed -E 's/^\s+condition: //' |
        sort -u | head -500 | awk -v o="$out" '{ f = o "/c" NR; printf "%s", $0 > f; close(f) }' ;;
json)
    find "$shared/sigma/regression" -name '*.json' | sort | head -100 | while read -r f; do
        cp "$f" "$out/$(basename "$f")"
    done
    find "$shared/logs" -name '*.json' -o -name '*.ndjson' -o -name '*.jsonl' | sort | head -50 |
        while read -r f; do head -c 65536 "$f" | head -n 1 > "$out/l_$(basename "$f")"; done ;;
evtx)
    find "$shared/sigma/regression" "$shared/logs" -name '*.evtx' -size -2M | sort | head -40 |
        while read -r f; do cp "$f" "$out/$(basename "$f")"; done ;;
fmt_syslog)
    # One file per line of the real Linux and OpenSSH logs (CRLF kept), plus
    # RFC 5424 records with structured data and a sudo record.
    for f in "$shared/logs/loghub/OpenSSH_2k.log" "$shared/logs/loghub/Linux_2k.log"; do
        awk -v o="$out/$(basename "$f" .log)_" '{ f = o NR; printf "%s", $0 > f; close(f) }' "$f"
    done
    printf '%s' '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"] msg' > "$out/rfc5424_sd"
    printf '%s' '<14>1 2024-01-01T00:00:00Z h a - - [x@1 q="a\"b\\c\]d"] m' > "$out/rfc5424_esc"
    printf '%s' 'Dec 21 16:42:19 host sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=#-1 ; COMMAND=/bin/sh -c id' > "$out/sudo" ;;
fmt_fortigate)
    awk -v o="$out/fgt_" '{ f = o NR; printf "%s", $0 > f; close(f) }' \
        "$shared/logs/elastic-integrations/fortinet_fortigate/test-fortinet-7-4.log" ;;
fmt_cef)
    # No CEF sample is shared: the specification's examples and variants.
    printf '%s' 'Sep 19 08:26:10 host CEF:0|Security|threatmanager|1.0|100|worm successfully stopped|10|src=10.0.0.1 dst=2.1.2.2 spt=1232' > "$out/spec"
    printf '%s' 'CEF:0|security|threatmanager|1.0|100|detected a \| in message|10|src=10.0.0.1 act=blocked a | dst=1.1.1.1' > "$out/pipe"
    printf '%s' 'CEF:0|security|threatmanager|1.0|100|detected a \\ in packet|10|src=10.0.0.1 act=blocked a \\ dst=1.1.1.1' > "$out/backslash"
    printf '%s' 'CEF:0|security|threatmanager|1.0|100|detected a = in message|10|src=10.0.0.1 act=blocked a \= dst=1.1.1.1' > "$out/equals"
    printf '%s' 'CEF:1|V|P|1|sig|n|Very-High|msg=line\nbreak cs1Label=Host ID cs1=web 01 filePath=C:\Windows\x.exe' > "$out/multi"
    printf '%s' '<134>1 2024-05-01T10:00:00Z fw - - - - CEF:0|Fortinet|FortiGate|7.4|0100044547|Object attribute configured|3|' > "$out/rfc5424" ;;
fmt_leef)
    # No LEEF sample is shared: IBM's examples and the 2.0 delimiter forms.
    printf 'Jan 18 11:07:53 host LEEF:1.0|Microsoft|MSExchange|4.0 SP1|15345|src=192.0.2.0\tdst=172.50.123.1\tsev=5\tcat=anomaly\tsrcPort=81\tdstPort=21\tusrName=joe.black' > "$out/v1_tab"
    printf '%s' 'LEEF:1.0|Microsoft|MSExchange|2016|15345|src=10.50.1.1  dst=2.10.20.20  spt=1200' > "$out/v1_space"
    printf '%s' 'LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=10.0.1.8^dst=10.0.0.5^sev=5^srcPort=81^dstPort=21' > "$out/v2_caret"
    printf '%s' 'LEEF:2.0|Lancope|StealthWatch|1.0|41|x5E|src=10.0.1.8^dst=10.0.0.5' > "$out/v2_hex"
    printf '%s' 'LEEF:2.0|Lancope|StealthWatch|1.0|41|0x5E|src=10.0.1.8^msg=a b^^dst=x^' > "$out/v2_0xhex"
    printf 'LEEF:2.0|V\\|W|P|1|E||src=1.2.3.4\tusrName=a=b' > "$out/v2_empty" ;;
fmt_asa)
    awk -v o="$out/asa_" '{ f = o NR; printf "%s", $0 > f; close(f) }' \
        "$shared/logs/elastic-integrations/cisco_asa/test-anyconnect-messages.log" ;;
fmt_pulse)
    for f in "$shared"/logs/elastic-integrations/pulse_connect_secure/test-log-*.log; do
        awk -v o="$out/$(basename "$f" .log)_" '{ f = o NR; printf "%s", $0 > f; close(f) }' "$f"
    done
    # The samples have no WELF body: one record in that form.
    printf '%s' '<134>1 2022-01-19T10:19:35+01:00 192.0.2.1 PulseSecure: - - - id=firewall time="2022-01-19 10:19:35" pri=6 fw=192.0.2.1 vpn=ive user=alice realm="Users" roles="Staff" proto= src=198.51.100.7 dst= dstname= type=vpn op= arg="" result= sent= rcvd= agent="" duration= msg="AUT24414: Primary authentication successful for alice/Users from 198.51.100.7"' > "$out/welf" ;;
fmt_netscaler)
    awk -v o="$out/ns_" '{ f = o NR; printf "%s", $0 > f; close(f) }' \
        "$shared/logs/elastic-integrations/citrix_adc/test-citrix-sslvpn-message.log" ;;
fmt_panos)
    awk -v o="$out/panos_" '{ f = o NR; printf "%s", $0 > f; close(f) }' \
        "$shared/logs/elastic-integrations/panw_globalprotect/test-panw-panos-globalprotect-sample.log" ;;
fmt_m365)
    # One file per real Microsoft 365 audit record (Management API and Sentinel
    # OfficeActivity shapes, Panther's lowercased keys), and whole files.
    for f in "$shared"/logs/elastic-integrations/o365/* \
        "$shared/logs/otrf-security-datasets/GoldenSAMLADFSMailAccess/OfficeActivityEvents.json"; do
        awk -v o="$out/$(basename "$f")_" '{ f = o NR; printf "%s", $0 > f; close(f) }' "$f"
        cp "$f" "$out/all_$(basename "$f")"
    done
    for f in "$shared"/logs/panther-analysis-tests/Microsoft365_*.tests.jsonl; do
        sed -n 's/.*"log": \(.*\)}$/\1/p' "$f" |
            awk -v o="$out/$(basename "$f" .tests.jsonl)_" '{ f = o NR; printf "%s", $0 > f; close(f) }'
    done ;;
fmt_m365_csv)
    # No Purview export is shared: the real records quoted as Purview quotes
    # them, under the classic and the newer header.
    for f in "$shared"/logs/elastic-integrations/o365/* \
        "$shared/logs/otrf-security-datasets/GoldenSAMLADFSMailAccess/OfficeActivityEvents.json"; do
        awk 'BEGIN { print "CreationDate,UserIds,Operations,AuditData" }
             { gsub(/"/, "\"\""); print "2024-05-01T10:00:00.0000000Z,user@example.com,Op,\"" $0 "\"" }' \
            "$f" > "$out/classic_$(basename "$f")"
        awk 'BEGIN { print "RecordId,CreationDate,RecordType,Operation,UserId,AuditData,AssociatedAdminUnits,AssociatedAdminUnitsNames" }
             { gsub(/"/, "\"\""); print "id" NR ",2024-05-01T10:00:00Z,ExchangeItem,Op,u@example.com,\"" $0 "\",," }' \
            "$f" > "$out/newer_$(basename "$f")"
    done ;;
fmt_entra)
    # One file per real Entra ID record (diagnostic export, Sentinel AuditLogs,
    # Panther's Azure tests), and whole files.
    for f in "$shared/logs/elastic-integrations/azure_signinlogs/test-signinlogs-raw.log" \
        "$shared/logs/otrf-security-datasets/GoldenSAMLADFSMailAccess/AADAuditEvents.json"; do
        awk -v o="$out/$(basename "$f")_" '{ f = o NR; printf "%s", $0 > f; close(f) }' "$f"
        cp "$f" "$out/all_$(basename "$f")"
    done
    sed -n 's/.*"log": \(.*\)}$/\1/p' "$shared/logs/panther-analysis-tests/Azure_Audit.tests.jsonl" |
        awk -v o="$out/panther_" '{ f = o NR; printf "%s", $0 > f; close(f) }' ;;
*)
    # Other targets: the plain files of their own seed folder, if any.
    if [ -d "$(dirname "$0")/seeds/$target" ]; then cp "$(dirname "$0")/seeds/$target"/* "$out/"; fi ;;
esac
