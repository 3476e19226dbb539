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
route)
    # One file per record of every JSON source, and a pretty-printed one.
    for f in "$shared"/logs/elastic-integrations/o365/* \
        "$shared/logs/elastic-integrations/azure_signinlogs/test-signinlogs-raw.log" \
        "$shared/logs/elastic-integrations/suricata/test-eve-6-0.log" \
        "$shared/logs/otrf-security-datasets/GoldenSAMLADFSMailAccess/WindowsEvents.json"; do
        head -n 40 "$f" | awk -v o="$out/$(basename "$f")_" '{ f = o NR; printf "%s", $0 > f; close(f) }'
    done
    zcat "$shared/logs/zed-sample-data/zeek-json/dns.json.gz" | head -n 20 |
        awk -v o="$out/zeek_" '{ f = o NR; printf "%s", $0 > f; close(f) }'
    find "$shared/sigma/regression" -name '*.json' | sort | head -20 | while read -r f; do
        head -c 65536 "$f" > "$out/reg_$(basename "$f")"
    done ;;
rule_archive)
    # Small zip archives of real SigmaHQ rule folders (as the release archives are built).
    command -v zip > /dev/null || exit 0
    for d in "$shared"/sigma/rules/windows/builtin/security/account_management \
        "$shared"/sigma/rules/linux/auditd "$shared"/sigma/rules/cloud/azure/signin_logs; do
        [ -d "$d" ] && (cd "$(dirname "$d")" && zip -qr "$out/$(basename "$d").zip" "$(basename "$d")")
    done ;;
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
fmt_cisco_ios)
    # No IOS log is shared: Cisco's documented message forms, with the parts
    # in front that sequence numbers, timestamps, origin id and a relay add.
    printf '%s' '000013: *Mar  1 18:46:11: %SYS-5-CONFIG_I: Configured from console by vty2 (10.34.195.36)' > "$out/seq_time"
    printf '%s' '<189>52: rtr1: *Mar  1 00:00:52.187 UTC: %LINK-3-UPDOWN: Interface FastEthernet0/0, changed state to up' > "$out/pri_origin"
    printf '%s' 'Nov 12 10:11:12 10.0.0.1 123: Nov 12 10:11:11.123 UTC: %SEC_LOGIN-4-LOGIN_FAILED: Login failed [user: sdfs] [Source: 10.4.2.11] [localport: 23] [Reason: Invalid login] at 20:55:40 UTC Fri Feb 28 2003' > "$out/relay"
    printf '%s' '%PARSER-5-CFGLOG_LOGGEDCMD: User:cisco  logged command:no logging console' > "$out/cfglog"
    printf '%s' '*Mar  1 00:01:02: %IP-TCP-3-BADAUTH: Invalid MD5 digest from 192.0.2.1:179 to 192.0.2.2:11003' > "$out/subfacility"
    printf '%s' '%SEC_LOGIN-5-WEBLOGIN_SUCCESS: Login Success [user: x] [Source: 198.51.100.66' > "$out/open_bracket" ;;
fmt_text)
    head -n 20 "$shared/logs/loghub/Linux_2k.log" | awk -v o="$out/line_" '{ f = o NR; printf "%s", $0 > f; close(f) }' ;;
fmt_asa)
    awk -v o="$out/asa_" '{ f = o NR; printf "%s", $0 > f; close(f) }' \
        "$shared/logs/elastic-integrations/cisco_asa/test-anyconnect-messages.log"
    # PIX and FWSM: no shared sample; the documented lines kept in the tree.
    awk -v o="$out/pix_" '{ f = o NR; printf "%s", $0 > f; close(f) }' \
        "$(dirname "$0")/../tests/appliances/pix.log" ;;
fmt_sonicwall | fmt_sophos | fmt_checkpoint | fmt_junos | fmt_f5apm)
    # No shared sample: the vendor documentation and public sample lines kept
    # in the tree (tests/appliances, sources in docs/sources.md).
    name=${target#fmt_}
    awk -v o="$out/${name}_" '{ f = o NR; printf "%s", $0 > f; close(f) }' \
        "$(dirname "$0")/../tests/appliances/$name.log" ;;
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
fmt_w3c)
    # No W3C log is shared: IIS's directives and records in its default fields,
    # with and without the header, a quoted field and a custom header field.
    iis='#Software: Microsoft Internet Information Services 10.0
#Version: 1.0
#Date: 2025-07-19 06:00:00
#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken'
    printf '%s\n%s\n' "$iis" '2025-07-19 06:01:02 10.0.0.5 POST /_layouts/15/ToolPane.aspx DisplayMode=Edit&a=/ToolPane.aspx 443 - 203.0.113.9 Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64) /_layouts/SignOut.aspx 200 0 0 15' > "$out/iis"
    printf '%s\r\n%s\r\n' "$iis" '2025-07-19 06:01:03 10.0.0.5 GET /owa/ - 443 CORP\alice 203.0.113.9 curl/8.0 - 302 0 0 1' > "$out/iis_crlf"
    printf '%s\n' '2024-01-02 03:04:05 10.1.1.1 GET /remote/fgt_lang lang=/../../../..//////////dev/cmdb/sslvpn_websession 443 - 1.2.3.4 python-requests/2.31 - 200 0 0 3' > "$out/no_header"
    printf '%s\n%s\n' '#Fields: date time c-ip cs-method cs-uri-stem cs(Cookie) x(Custom-Thing) cs-host' '2025-07-19 06:01:04 198.51.100.2 GET /a "sid=1; x=""y""" v example.org' > "$out/quoted" ;;
fmt_combined)
    # The Apache error log sample in chunks, and access log lines shaped like
    # Apache's documentation examples (no access log is shared).
    split -l 50 -a 3 "$shared/logs/loghub/Apache_2k.log" "$out/apache_error_"
    printf '%s\n' '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326' > "$out/common"
    printf '%s\n' '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"' > "$out/combined"
    printf '%s\n' '198.51.100.23 - - [12/Aug/2019:10:00:00 +0000] "GET /remote/fgt_lang?lang=/../../../..//////////dev/cmdb/sslvpn_websession HTTP/1.1" 200 1145 "-" "curl/7.64.0"' > "$out/cve_2018_13379"
    printf '%s\n' '1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET /q?a=\"b\"\\c HTTP/1.1" 200 5 "-" "Mozilla \"quoted\" \x22n\x5C \x16\x03" "198.51.100.1"' > "$out/escapes"
    printf '%s\n' '[Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187] File does not exist: /usr/local/apache2/htdocs/favicon.ico' > "$out/apache24_error"
    printf '%s\n' '2024/05/01 12:00:01 [error] 31#31: *7 open() "/usr/share/nginx/html/x" failed (2: No such file or directory), client: 172.17.0.1, server: localhost, request: "GET /x HTTP/1.1", host: "localhost"' > "$out/nginx_error" ;;
fmt_zeek)
    # Whole small TSV logs with their headers, and the start of larger ones.
    for f in dce_rpc kerberos pe smb_files ssh ftp; do
        gzip -dc "$shared/logs/zed-sample-data/zeek-default/$f.log.gz" > "$out/$f.log"
    done
    for f in dns notice smb_mapping smtp software ssl x509 rdp ntlm known_services syslog; do
        gzip -dc "$shared/logs/zed-sample-data/zeek-default/$f.log.gz" | head -n 40 > "$out/$f.log"
    done ;;
fmt_zeek_json)
    # The first lines of every zed JSON log and of the OTRF combined logs.
    for f in "$shared"/logs/zed-sample-data/zeek-json/*.json.gz; do
        gzip -dc "$f" | head -n 20 > "$out/$(basename "$f" .gz)"
    done
    for d in apt29_day1_zeek apt29_day2_zeek; do
        head -n 100 "$shared/logs/otrf-security-datasets/$d/combined_zeek.log" > "$out/otrf_$d"
    done ;;
fmt_suricata)
    awk -v o="$out/eve_" '{ f = o NR; printf "%s", $0 > f; close(f) }' \
        "$shared/logs/elastic-integrations/suricata/test-eve-6-0.log"
    cp "$shared/logs/elastic-integrations/suricata/test-eve-6-0.log" "$out/all_eve" ;;
config)
    # The documented example and variants: minimal, every default spelt out,
    # flow style, and a few of the errors the loader reports.
    ex="$(dirname "$0")/../packaging/yagura.yaml"
    cp "$ex" "$out/example"
    printf 'rules: [r]\nstate: s.db\ninputs: [{name: in, type: stdin}]\n' > "$out/minimal"
    printf '%s\n' 'rules: [/r, /s]' 'state: /v/s.db' 'min_level: high' \
        'correlation: {lateness: 500ms, memory: 1GB, snapshot_interval: 1h}' \
        'inputs: [{name: a, type: file, path: "/l/*.log", start_at: beginning, format: json,' \
        '          logsource: {product: linux, service: auth}},' \
        '         {name: u, type: syslog-udp, listen: "[::1]:514"},' \
        '         {name: t, type: syslog-tls, listen: ":6514", cert: c, key: k}]' \
        'sinks: [{type: jsonl, path: /a, rotate: 512KB, keep: 3}, {type: syslog, address: "h:514"},' \
        '        {type: webhook, url: "https://u:p@h:8443/x?y=z", timeout: 500ms,' \
        '         headers: {Authorization: "Bearer t", X-Id: "1"}}]' \
        'http: {listen: "[::]:9308"}' 'log: {level: debug, target: syslog}' 'user: nobody' > "$out/flow"
    sed 's/min_level: informational/min_levle: informational/' "$ex" > "$out/typo"
    sed 's/listen: "0.0.0.0:514"/listen: "0.0.0.0"/' "$ex" > "$out/bad_listen"
    sed 's/lateness: 5m/lateness: 5 minutes/' "$ex" > "$out/bad_duration" ;;
syslog_frame)
    # Framer streams: byte 0 picks the message cap, byte 1 the chunk sizes,
    # then octet-counted and newline-framed messages, mixed, oversize and
    # with counts that are not counts.  The real syslog lines as one stream.
    printf '\x3f\x07%b' '13 <13>hi there!<14>line one\n<15>crlf\r\n\n4 abcd2 \n\n2024-01-01 not a count\n10 <1>counted' > "$out/mixed"
    printf '\x09\x03%b' '25 aaaaaaaaaaaaaaaaaaaaaaaaa3 abc<1>this line is far too long\n<2>ok\n99999999999 x\n' > "$out/oversize"
    printf '\x3f\x01%b' '0 x\n01 y\n9 <13>short' > "$out/odd_counts"
    { printf '\x3f\x05'; head -n 200 "$shared/logs/loghub/Linux_2k.log" |
        awk '{ if (NR % 2) printf "%d %s", length($0), $0; else print }'; } > "$out/linux_mixed" ;;
stix_pattern)
    # Each pattern of the specification's examples and of the STIX examples.
    i=0
    while IFS= read -r line; do
        i=$((i + 1)); printf '%s' "$line" > "$out/spec_$i"
    done < "$shared/spec/stix-taxii/stix21_pattern_spec_examples.txt"
    grep -rhoE '"pattern": *"([^"\\]|\\.)*"' "$shared/intel/stix-examples" | sort -u | head -200 |
        sed -E 's/^"pattern": *"//; s/"$//; s/\\\\/\\/g' |
        awk -v o="$out/ex_" '{ f = o NR; printf "%s", $0 > f; close(f) }' ;;
stix_bundle)
    find "$shared/intel/stix-examples" -name '*.json' | sort | while read -r f; do
        cp "$f" "$out/$(echo "$f" | md5sum | cut -c1-12).json"; done ;;
misp)
    cp "$shared"/intel/misp-events/*.json "$out/" ;;
tjson)
    # Whole STIX bundles and MISP events, and TAXII-sized pieces of them.
    cp "$shared"/intel/misp-events/*.json "$out/"
    find "$shared/intel/stix-examples" -name '*.json' -size -200k | sort | head -40 | while read -r f; do
        cp "$f" "$out/s_$(echo "$f" | md5sum | cut -c1-12).json"; done ;;
intel_csv)
    cp "$shared/intel/intel-ivanti/volexity-2024-01-10/iocs.csv" "$out/volexity1.csv"
    cp "$shared/intel/intel-ivanti/volexity-2024-01-18/iocs.csv" "$out/volexity2.csv"
    printf 'type,value,source,confidence,tlp,valid_from,valid_until,id,description\nip,10.0.0.0/8,a,50,amber,2024-01-01,2025-01-01T00:00:00Z,x,"quoted, ""text"""\nurl,hxxp://a[.]b/c,,,,,,,\n' > "$out/full.csv" ;;
taxii)
    # Requests of every endpoint, with Basic (alice:pw) and bearer (token)
    # credentials, POSTing the STIX examples of ../shared as envelopes.
    A='Authorization: Basic YWxpY2U6cHc='
    T='Authorization: Bearer token'
    H='Accept: application/taxii+json;version=2.1'
    C='Content-Type: application/taxii+json;version=2.1'
    n=0
    find "$shared/intel/stix-examples" -name '*.json' -size -200k | sort | head -30 | while read -r f; do
        n=$((n + 1))
        { printf 'POST /api1/collections/r/objects/\n%s\n%s\n%s\n\n' "$A" "$H" "$C"
          sed -e '1s/^[^{]*{/{/' "$f"; } > "$out/post_$n"
    done
    for path in '/taxii2/' '/api1/' '/api1/collections/' '/api1/collections/g/' \
        '/api1/collections/r/objects/?limit=2&match[type]=indicator,malware' \
        '/api1/collections/r/objects/?added_after=2016-01-01T00:00:00Z&match[version]=all' \
        '/api1/collections/r/manifest/?match[spec_version]=2.1&limit=1' \
        '/api1/collections/r/objects/indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f/' \
        '/api1/collections/r/objects/indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f/versions/' \
        '/api1/collections/r/objects/?next=1.1.00000000000000000000000000000000' \
        '/api1/status/00000000-0000-4000-8000-000000000000/'; do
        n=$((n + 1))
        printf 'GET %s\n%s\n%s\n\n' "$path" "$T" "$H" > "$out/get_$(printf %03d $n)"
    done
    printf 'DELETE /api1/collections/r/objects/indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f/?match[version]=first\n%s\n\n' "$A" > "$out/delete"
    printf 'GET /api1/collections/g/objects/\nAccept: application/stix+json;version=2.1\nAuthorization: Basic Ym9iOnB3\n\n' > "$out/bob" ;;
mappings)
    # The shipped field files, and small variants of each shape.
    m="$(dirname "$0")/../mappings"
    cp "$m/intel-fields.yml" "$out/intel-fields"
    cp "$m/entities.yml" "$out/entities"
    printf 'intel_fields:\n  - logsource: {product: windows, category: "*"}\n    fields: {DestinationIp: ip, Hashes: hashes}\n' > "$out/intel-small"
    printf 'intel_fields: []\n' > "$out/intel-empty"
    head -c 2000 "$m/entities.yml" > "$out/entities-cut" ;;
campaign_bundle)
    # The generated partners' bundles (tests/campaigns/gen_campaigns.py), the smaller ones.
    g="$(mktemp -d)"
    python3 "$(dirname "$0")/../tests/campaigns/gen_campaigns.py" --out "$g" --seed 5 > /dev/null
    ls -S -r "$g/bundles" | head -60 | while read -r f; do cp "$g/bundles/$f" "$out/$f"; done
    rm -rf "$g" ;;
organisations)
    # The shipped inventory, the generated one and small variants of each shape.
    g="$(mktemp -d)"
    python3 "$(dirname "$0")/../tests/campaigns/gen_campaigns.py" --out "$g" --seed 5 > /dev/null
    cp "$g/organisations.yml" "$out/generated"
    cp "$(dirname "$0")/../mappings/organisations.yml" "$out/shipped"
    printf 'organisations:\n  - name: A\n    aliases: [B]\n    sectors: [media]\n    domains: [a.example]\n    ranges: [10.0.0.0/8, "2001:db8::/32"]\n' > "$out/small"
    printf 'shared:\n  - name: vpn\n    ranges: [91.207.57.0/24]\n    weight: 0.1\n' > "$out/shared"
    rm -rf "$g" ;;
hs_cache)
    # Cache entries (src/match/dbcache.h): a good header over a few blobs (not Hyperscan
    # databases: those are the cache's own output, not shared data), and the same
    # entry truncated, with another magic, version and length.
    python3 - "$out" <<'PY'
import hashlib, struct, sys
out = sys.argv[1]
def entry(key, blob, magic=b"YGHSDB\r\n", ver=1, n=None):
    n = len(blob) if n is None else n
    return magic + struct.pack("<II", ver, 0) + key + struct.pack("<Q", n) + hashlib.sha256(blob).digest() + blob
for i, blob in enumerate([b"", b"x" * 64, bytes(range(256)) * 4]):
    key = hashlib.sha256(b"seed%d" % i).digest()
    good = entry(key, blob)
    for name, b in [("good", good), ("cut", good[:len(good) // 2]),
                    ("magic", entry(key, blob, magic=b"YGHSDB\n\n")),
                    ("version", entry(key, blob, ver=2)), ("length", entry(key, blob, n=len(blob) + 1))]:
        open(f"{out}/{name}{i}", "wb").write(b)
PY
    ;;
*)
    # Other targets: the plain files of their own seed folder, if any.
    if [ -d "$(dirname "$0")/seeds/$target" ]; then cp "$(dirname "$0")/seeds/$target"/* "$out/"; fi ;;
esac
