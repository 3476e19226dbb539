#!/usr/bin/env bash
# run_peers_bench.sh - `yagura hunt` timed beside Chainsaw, Hayabusa and rsigma on the same inputs
# with the same SigmaHQ rules, one core each. See bench/README.md.
#
# Inputs: the EVTX files under --evtx (default ../shared/logs), and the same records as flat JSON
# lines (bench/peers_tool.py flatten: System and EventData fields at the top level), read by
# Yagura and rsigma (Hayabusa and Chainsaw read evtx_dump's nested JSON, not flat lines).
# --copies N repeats both inputs N times so that the rule compile weighs less.
# Every run is `taskset -c CPU /usr/bin/time -v TOOL ...` with the tool's own thread option at 1;
# the table gives wall time, events/s (events of the input / wall time, start-up and rule
# compile included), peak RSS and the alert count, then the commit and every version. For the
# rules a peer and Yagura both fire, it says whether they flag the same events.
#
# The peers are built once into a cache outside the tree (nothing of theirs is committed):
#   rsigma    from crates.io: cargo install rsigma --version $RSIGMA_VERSION (default 0.23.0),
#             features evtx (no daemon).
#   Hayabusa  from source (its crates.io name belongs to another project, and release binaries
#             cannot be downloaded here): HAYABUSA_SRC, a git clone (bare or not, checked out at
#             $HAYABUSA_REF, default v3.10.0) or a source folder of Yamato-Security/hayabusa;
#             HAYABUSA_EVTX_SRC, the same of Yamato-Security/hayabusa-evtx (Hayabusa's Cargo.toml
#             takes its evtx crate from that repository, at the commit it names); and
#             HAYABUSA_RULES_SRC, the same of Yamato-Security/hayabusa-rules (its config/ folder,
#             which Hayabusa needs to run; the rules themselves are SigmaHQ's, from --rules).
#   Chainsaw  from source (the crates.io chainsaw is another project): CHAINSAW_SRC, a git clone
#             or source folder of WithSecureLabs/chainsaw at $CHAINSAW_REF (default v2.16.4).
#             Its Cargo.toml patches libesedb, mft and notatin to its author's forks;
#             CHAINSAW_LIBESEDB_SRC, CHAINSAW_MFT_SRC and CHAINSAW_NOTATIN_SRC give those forks,
#             and each one not given is taken from crates.io instead (said in the output).
#   HAYABUSA_BIN, CHAINSAW_BIN, RSIGMA_BIN name an already built binary instead (Hayabusa's
#   folder must then hold rules/config/, or set HAYABUSA_CONFIG to such a folder; Chainsaw's
#   mapping file is CHAINSAW_MAPPING, default the source's mappings/sigma-event-logs-all.yml).
# Builds run with `nice` and `cargo -j $CARGO_JOBS` (default 1). A peer that cannot be installed
# is left out of the table with the reason (the build's last lines), and the others still run.
#
# Usage: bench/run_peers_bench.sh [options]
#   --peers "LIST"    tools to run, of yagura hayabusa chainsaw rsigma (default all four)
#   --evtx DIR        folder of EVTX files (repeatable; default ../shared/logs)
#   --rules DIR       Sigma rule folder (default ../shared/sigma/rules)
#   --copies N        repeat the inputs N times (default 1)
#   --runs N          runs per tool and input, the fastest is kept (default 1)
#   --cpu N           the core of taskset -c (default 0)
#   --yagura PATH     the yagura binary (default build/yagura, or $YAGURA)
#   --cache DIR       peers' sources, builds and the work folder (default
#                     ${XDG_CACHE_HOME:-~/.cache}/yagura/peers, or $YG_PEERS_CACHE)
#   --install-only    build or find the peers, print their versions, and stop
#   --no-install      run only peers already built (never start a build)
#   --no-compare      skip the comparison of flagged events
#   --dry-run         check the arguments and print what would be built and run, run nothing
#   -h, --help        this text
# Environment: YG_SHARED_DIR (default ../shared beside the checkout), YAGURA, the *_SRC, *_REF,
#   *_BIN variables above, RSIGMA_VERSION, CARGO_JOBS.
#
# Exit status: 0 done (peers that could not be installed are reported, not failures), 1 a
# failure of Yagura or of the inputs, 2 bad arguments.

set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"

peers="yagura hayabusa chainsaw rsigma"
shared="${YG_SHARED_DIR:-$repo/../shared}"
rules=""
evtx_dirs=()
copies=1
runs=1
cpu=0
yagura="${YAGURA:-$repo/build/yagura}"
cache="${YG_PEERS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/yagura/peers}"
jobs="${CARGO_JOBS:-1}"
rsigma_version="${RSIGMA_VERSION:-0.23.0}"
hayabusa_ref="${HAYABUSA_REF:-v3.10.0}"
chainsaw_ref="${CHAINSAW_REF:-v2.16.4}"
dry_run=0
install_only=0
no_install=0
compare=1

die() {
    echo "run_peers_bench: $*" >&2
    exit 1
}
usage_error() {
    echo "run_peers_bench: $*" >&2
    echo "(bench/run_peers_bench.sh --help lists the options)" >&2
    exit 2
}
usage() { sed -n '2,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }
need_value() { [[ $# -ge 2 && -n "$2" ]] || usage_error "$1 needs a value"; }

while (($#)); do
    case "$1" in
    --peers) need_value "$@"; peers="$2"; shift 2 ;;
    --evtx) need_value "$@"; evtx_dirs+=("$2"); shift 2 ;;
    --rules) need_value "$@"; rules="$2"; shift 2 ;;
    --copies) need_value "$@"; copies="$2"; shift 2 ;;
    --runs) need_value "$@"; runs="$2"; shift 2 ;;
    --cpu) need_value "$@"; cpu="$2"; shift 2 ;;
    --yagura) need_value "$@"; yagura="$2"; shift 2 ;;
    --cache) need_value "$@"; cache="$2"; shift 2 ;;
    --install-only) install_only=1; shift ;;
    --no-install) no_install=1; shift ;;
    --no-compare) compare=0; shift ;;
    --dry-run) dry_run=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage_error "unknown argument: $1" ;;
    esac
done
[[ "$copies" =~ ^[1-9][0-9]*$ ]] || usage_error "--copies takes a positive integer, got '$copies'"
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || usage_error "--runs takes a positive integer, got '$runs'"
[[ "$cpu" =~ ^[0-9]+$ ]] || usage_error "--cpu takes a core number, got '$cpu'"
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || usage_error "CARGO_JOBS takes a positive integer, got '$jobs'"
((install_only && no_install)) && usage_error "--install-only and --no-install exclude each other"
for p in $peers; do
    case "$p" in yagura | hayabusa | chainsaw | rsigma) ;;
    *) usage_error "--peers: unknown tool '$p' (yagura, hayabusa, chainsaw, rsigma)" ;;
    esac
done
[[ -n "${peers// /}" ]] || usage_error "--peers is empty"
want() { [[ " $peers " == *" $1 "* ]]; }
[[ -n "$rules" ]] || rules="$shared/sigma/rules"
((${#evtx_dirs[@]})) || evtx_dirs=("$shared/logs")

# Dry run: say what would happen, touch nothing.
run() {
    if ((dry_run)); then
        printf '+'
        printf ' %q' "$@"
        printf '\n'
    else
        "$@"
    fi
}

calc() { awk "BEGIN { printf \"${2:-%.0f}\", $1 }"; }
# wall-clock "h:mm:ss.ss" or "m:ss.ss" of GNU time in seconds
wall_secs() { awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.2f", s }'; }

# ------------------------------------------------------------------ sources
# A source given as a git directory (bare, or a clone's .git) is exported at REF; a plain folder
# is copied. Blobs absent from a partial clone (large test samples) are left out and named.
git_dir_of() { # path -> its git directory, or nothing
    if [[ -f "$1/HEAD" && -d "$1/objects" ]]; then
        echo "$1"
    elif [[ -d "$1/.git" ]]; then
        echo "$1/.git"
    fi
}
export_src() { # SRC REF DEST: prints the commit exported (or "folder")
    local src="$1" ref="$2" dest="$3" gd commit missing=() spec=(.) p
    gd=$(git_dir_of "$src")
    rm -rf "$dest.part"
    mkdir -p "$dest.part"
    if [[ -z "$gd" ]]; then
        cp -a "$src/." "$dest.part/"
        rm -rf "$dest.part/target"
        commit=folder
    else
        commit=$(git --git-dir="$gd" rev-parse --verify -q "$ref^{commit}") ||
            {
                echo "no commit '$ref' in $src" >&2
                return 1
            }
        # Already exported: kept as it is, so that cargo does not rebuild it (it compares times).
        if [[ "$(cat "$dest/.export-commit" 2>/dev/null)" == "$commit" ]]; then
            rm -rf "$dest.part"
            echo "$commit"
            return 0
        fi
        mapfile -t missing < <(git --git-dir="$gd" ls-tree -r "$commit" |
            awk -F'\t' '{ split($1, m, " "); if (m[2] == "blob") print m[3] "\t" $2 }' |
            while IFS=$'\t' read -r sha path; do
                git --git-dir="$gd" cat-file -e "$sha" 2>/dev/null || printf '%s\n' "$path"
            done)
        for p in "${missing[@]}"; do spec+=(":(exclude,literal)$p"); done
        # git archive names the absent blobs it skips on standard error; the note below says it once.
        git --git-dir="$gd" archive "$commit" -- "${spec[@]}" 2>/dev/null | tar -x -C "$dest.part" ||
            {
                echo "exporting $commit of $src failed" >&2
                return 1
            }
        if ((${#missing[@]})); then
            echo "note: ${#missing[@]} file(s) absent from $src left out (${missing[0]} ...)" >&2
        fi
    fi
    [[ "$commit" == folder ]] || echo "$commit" >"$dest.part/.export-commit"
    rm -rf "$dest"
    mv "$dest.part" "$dest"
    echo "$commit"
}
src_rev() { # SRC REF -> short commit, or "folder"
    local gd
    gd=$(git_dir_of "$1")
    if [[ -z "$gd" ]]; then echo folder; else git --git-dir="$gd" rev-parse --short=7 --verify -q "$2^{commit}" || echo unknown; fi
}

unavailable=() # "peer: reason" lines, printed with the table
declare -A BIN=() VERSION=() NOTE=()

# Runs a build command with its output in LOG; on failure records the last lines.
build_step() { # peer log folder command...
    local peer="$1" log="$2" dir="$3"
    shift 3
    echo "building $peer (log $log): $*"
    if ((dry_run)); then
        run "$@"
        return 0
    fi
    mkdir -p "$(dirname "$log")"
    if ! (cd "$dir" && nice -n 19 "$@") >"$log" 2>&1; then
        unavailable+=("$peer: build failed ($*); last lines of $log:")
        while IFS= read -r l; do unavailable+=("    $l"); done < <(grep -v '^ *Compiling\|^ *Downloaded' "$log" | tail -n 12)
        return 1
    fi
}

install_rsigma() {
    if [[ -n "${RSIGMA_BIN:-}" ]]; then
        BIN[rsigma]="$RSIGMA_BIN"
        return 0
    fi
    local root="$cache/rsigma-$rsigma_version"
    BIN[rsigma]="$root/bin/rsigma"
    [[ -x "${BIN[rsigma]}" ]] && return 0
    if ((no_install)); then
        unavailable+=("rsigma: not built ($root/bin/rsigma missing; --no-install)")
        return 1
    fi
    build_step rsigma "$cache/logs/rsigma-$rsigma_version.log" . \
        cargo install rsigma --version "$rsigma_version" --locked --no-default-features --features evtx \
        --root "$root" --target-dir "$cache/target/rsigma" -j "$jobs"
}

install_hayabusa() {
    local dir
    if [[ -n "${HAYABUSA_BIN:-}" ]]; then
        BIN[hayabusa]="$HAYABUSA_BIN"
        HAYABUSA_CONFIG="${HAYABUSA_CONFIG:-$(dirname "$HAYABUSA_BIN")/rules/config}"
        return 0
    fi
    dir="$cache/hayabusa-$hayabusa_ref"
    BIN[hayabusa]="$dir/hayabusa"
    HAYABUSA_CONFIG="${HAYABUSA_CONFIG:-$dir/rules/config}"
    if [[ -x "${BIN[hayabusa]}" ]]; then
        NOTE[hayabusa]=$(cat "$dir/NOTE" 2>/dev/null || echo "built earlier")
        return 0
    fi
    if ((no_install)); then
        unavailable+=("hayabusa: not built ($dir/hayabusa missing; --no-install)")
        return 1
    fi
    local missing=""
    [[ -n "${HAYABUSA_SRC:-}" && -d "${HAYABUSA_SRC:-}" ]] || missing+=" HAYABUSA_SRC"
    [[ -n "${HAYABUSA_EVTX_SRC:-}" && -d "${HAYABUSA_EVTX_SRC:-}" ]] || missing+=" HAYABUSA_EVTX_SRC"
    [[ -n "${HAYABUSA_RULES_SRC:-}" && -d "${HAYABUSA_RULES_SRC:-}" ]] || missing+=" HAYABUSA_RULES_SRC"
    if [[ -n "$missing" ]]; then
        unavailable+=("hayabusa: no source:$missing not set to a folder. Hayabusa is not on crates.io (the crate"
            "    named hayabusa there is another project) and its release binaries cannot be downloaded"
            "    here: set HAYABUSA_SRC, HAYABUSA_EVTX_SRC and HAYABUSA_RULES_SRC to git clones of"
            "    Yamato-Security/hayabusa, hayabusa-evtx and hayabusa-rules (or HAYABUSA_BIN to a binary)")
        return 1
    fi
    local src="$cache/src/hayabusa-$hayabusa_ref" evtx_rev rules_rev gd
    local cmd evtx_dir
    echo "hayabusa: exporting $HAYABUSA_SRC at $hayabusa_ref"
    if ((dry_run)); then
        cmd=(cargo build --release -j "$jobs" --target-dir "$cache/target/hayabusa"
            --config "patch.\"https://github.com/Yamato-Security/hayabusa-evtx.git\".evtx.path=\"$cache/src/hayabusa-evtx-REV\"")
        echo "+ export $hayabusa_ref of HAYABUSA_SRC to $src, HAYABUSA_EVTX_SRC and HAYABUSA_RULES_SRC beside it"
        build_step hayabusa "$cache/logs/hayabusa-$hayabusa_ref.log" "$src" "${cmd[@]}"
        return 0
    fi
    NOTE[hayabusa]="source $(export_src "$HAYABUSA_SRC" "$hayabusa_ref" "$src")" || {
        unavailable+=("hayabusa: cannot export $hayabusa_ref of $HAYABUSA_SRC")
        return 1
    }
    # The evtx fork at the commit Hayabusa's Cargo.toml pins.
    evtx_rev=$(sed -n 's/^evtx *=.*rev *= *"\([0-9a-f]*\)".*/\1/p' "$src/Cargo.toml")
    [[ -n "$evtx_rev" ]] || evtx_rev=HEAD
    evtx_rev="${HAYABUSA_EVTX_REF:-$evtx_rev}"
    evtx_dir="$cache/src/hayabusa-evtx-$(src_rev "$HAYABUSA_EVTX_SRC" "$evtx_rev")"
    export_src "$HAYABUSA_EVTX_SRC" "$evtx_rev" "$evtx_dir" >/dev/null || {
        unavailable+=("hayabusa: cannot export hayabusa-evtx $evtx_rev from $HAYABUSA_EVTX_SRC")
        return 1
    }
    NOTE[hayabusa]+=", hayabusa-evtx $(cat "$evtx_dir/.export-commit" 2>/dev/null || echo folder)"
    cmd=(cargo build --release -j "$jobs" --target-dir "$cache/target/hayabusa"
        --config "patch.\"https://github.com/Yamato-Security/hayabusa-evtx.git\".evtx.path=\"$evtx_dir\"")
    # hayabusa-rules at the submodule commit of this Hayabusa tag, when the source is a git dir.
    rules_rev="${HAYABUSA_RULES_REF:-}"
    gd=$(git_dir_of "$HAYABUSA_SRC")
    if [[ -z "$rules_rev" && -n "$gd" ]]; then
        rules_rev=$(git --git-dir="$gd" ls-tree "$hayabusa_ref" rules | awk '$2 == "commit" { print $3 }')
    fi
    local rules_dir
    rules_dir="$cache/src/hayabusa-rules-$(src_rev "$HAYABUSA_RULES_SRC" "${rules_rev:-HEAD}")"
    export_src "$HAYABUSA_RULES_SRC" "${rules_rev:-HEAD}" "$rules_dir" >/dev/null || {
        unavailable+=("hayabusa: cannot export hayabusa-rules ${rules_rev:-HEAD} from $HAYABUSA_RULES_SRC")
        return 1
    }
    NOTE[hayabusa]+=", hayabusa-rules config $(cat "$rules_dir/.export-commit" 2>/dev/null || echo folder)"
    build_step hayabusa "$cache/logs/hayabusa-$hayabusa_ref.log" "$src" "${cmd[@]}" || return 1
    rm -rf "$dir"
    mkdir -p "$dir/rules"
    cp "$cache/target/hayabusa/release/hayabusa" "$dir/"
    cp -r "$src/config" "$dir/config"
    cp -r "$rules_dir/config" "$dir/rules/config"
    printf '%s\n' "${NOTE[hayabusa]}" >"$dir/NOTE"
}

install_chainsaw() {
    local dir
    if [[ -n "${CHAINSAW_BIN:-}" ]]; then
        BIN[chainsaw]="$CHAINSAW_BIN"
        CHAINSAW_MAPPING="${CHAINSAW_MAPPING:-$(dirname "$CHAINSAW_BIN")/mappings/sigma-event-logs-all.yml}"
        return 0
    fi
    dir="$cache/chainsaw-$chainsaw_ref"
    BIN[chainsaw]="$dir/chainsaw"
    CHAINSAW_MAPPING="${CHAINSAW_MAPPING:-$dir/mappings/sigma-event-logs-all.yml}"
    if [[ -x "${BIN[chainsaw]}" ]]; then
        NOTE[chainsaw]=$(cat "$dir/NOTE" 2>/dev/null || echo "built earlier")
        return 0
    fi
    if ((no_install)); then
        unavailable+=("chainsaw: not built ($dir/chainsaw missing; --no-install)")
        return 1
    fi
    if [[ -z "${CHAINSAW_SRC:-}" || ! -d "${CHAINSAW_SRC:-}" ]]; then
        unavailable+=("chainsaw: no source: CHAINSAW_SRC not set to a folder. The crates.io chainsaw is another"
            "    project and release binaries cannot be downloaded here: set CHAINSAW_SRC to a git clone"
            "    of WithSecureLabs/chainsaw (or CHAINSAW_BIN to a binary)")
        return 1
    fi
    local src="$cache/src/chainsaw-$chainsaw_ref" cfg=() fork var forks=()
    # Chainsaw patches three crates to its author's git forks; each fork given is used from its
    # folder, the others come from crates.io (the section is dropped, and given back by --config).
    for fork in libesedb mft notatin; do
        var="CHAINSAW_${fork^^}_SRC"
        if [[ -n "${!var:-}" && -d "${!var}" ]]; then
            local fdir
            fdir="$cache/src/$fork-$(src_rev "${!var}" HEAD)"
            forks+=("$fork:$fdir")
            cfg+=(--config "patch.crates-io.$fork.path=\"$fdir\"")
            NOTE[chainsaw]+=", $fork from $var ($(src_rev "${!var}" HEAD))"
        else
            NOTE[chainsaw]+=", $fork from crates.io"
            echo "note: chainsaw: $var not given, $fork comes from crates.io instead of Chainsaw's fork" >&2
        fi
    done
    local cmd=(cargo build --release -j "$jobs" --target-dir "$cache/target/chainsaw" "${cfg[@]}")
    if ((dry_run)); then
        echo "+ export $chainsaw_ref of CHAINSAW_SRC to $src, without its [patch.crates-io] section${forks[*]:+, forks beside it: ${forks[*]}}"
        build_step chainsaw "$cache/logs/chainsaw-$chainsaw_ref.log" "$src" "${cmd[@]}"
        return 0
    fi
    local exported
    exported=$(export_src "$CHAINSAW_SRC" "$chainsaw_ref" "$src") || {
        unavailable+=("chainsaw: cannot export $chainsaw_ref of $CHAINSAW_SRC")
        return 1
    }
    NOTE[chainsaw]="source $exported${NOTE[chainsaw]}"
    # Only when there (an unchanged Cargo.toml keeps cargo from rebuilding the crate).
    if grep -q '^\[patch\.crates-io\]' "$src/Cargo.toml"; then
        sed -i '/^\[patch\.crates-io\]/,/^\[/{/^\[patch\.crates-io\]/d;/^[a-z_-]* *=/d}' "$src/Cargo.toml"
    fi
    for fork in "${forks[@]}"; do
        var="CHAINSAW_${fork%%:*}_SRC"
        var="${var^^}"
        export_src "${!var}" HEAD "${fork#*:}" >/dev/null || return 1
    done
    build_step chainsaw "$cache/logs/chainsaw-$chainsaw_ref.log" "$src" "${cmd[@]}" || return 1
    rm -rf "$dir"
    mkdir -p "$dir"
    cp "$cache/target/chainsaw/release/chainsaw" "$dir/"
    cp -r "$src/mappings" "$dir/mappings"
    printf '%s\n' "${NOTE[chainsaw]}" >"$dir/NOTE"
}

print_unavailable() {
    local l
    for l in "${unavailable[@]}"; do
        if [[ "$l" == "    "* ]]; then echo "             $l"; else echo "NOT INSTALLED $l"; fi
    done
}

ok=() # peers installed
for p in $peers; do
    [[ "$p" == yagura ]] && continue
    if "install_$p"; then ok+=("$p"); fi
done
if want yagura; then
    BIN[yagura]="$yagura"
    if [[ ! -x "$yagura" ]] && ((!dry_run)); then
        echo "ERROR: yagura binary not found at $yagura (build it, or --yagura / YAGURA)" >&2
        exit 1
    fi
    ok=(yagura "${ok[@]}")
fi

version_of() { # first line of the tool's version (Hayabusa has no --version: its help's banner)
    local v
    case "$1" in
    hayabusa) v=$("${BIN[hayabusa]}" help 2>&1 | sed 's/\x1b\[[0-9;]*m//g' | grep -m 1 '^Hayabusa v') || true ;;
    *) v=$("${BIN[$1]}" --version 2>&1 | head -n 1) || true ;;
    esac
    echo "${v:-unknown}"
}

commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ "$commit" != unknown ]] && [[ -n "$(git -C "$repo" status --porcelain --untracked-files=no 2>/dev/null)" ]]; then
    commit="$commit (with uncommitted changes)"
fi
echo
echo "== commit, machine, tools"
echo "commit      $commit"
echo "machine     $(uname -m), $(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -n 1), nproc $(nproc)"
echo "load        $(uptime)"
for p in "${ok[@]}"; do
    if ((dry_run)); then
        echo "$p  ${BIN[$p]}"
    else
        VERSION[$p]=$(version_of "$p")
        echo "$p  ${VERSION[$p]:-?} (${BIN[$p]}${NOTE[$p]:+; ${NOTE[$p]}})"
    fi
done
print_unavailable
if ((install_only)); then
    exit 0
fi

# ------------------------------------------------------------------ inputs
time_bin=/usr/bin/time
if ! ((dry_run)) && ! { [[ -x "$time_bin" ]] && "$time_bin" -v true >/dev/null 2>&1; }; then
    die "GNU time is needed at /usr/bin/time for the peak RSS (apt-get install time)"
fi
command -v taskset >/dev/null || ((dry_run)) || die "taskset is needed (apt-get install util-linux)"
[[ -d "$rules" ]] || ((dry_run)) || die "no rule folder $rules (--rules, or YG_SHARED_DIR)"

work="$cache/work"
evtx_files=()
for d in "${evtx_dirs[@]}"; do
    [[ -d "$d" ]] || ((dry_run)) || die "no EVTX folder $d (--evtx, or YG_SHARED_DIR)"
    [[ -d "$d" ]] || continue
    while IFS= read -r -d '' f; do evtx_files+=("$f"); done < <(find "$d" -type f -iname '*.evtx' -print0 | sort -z)
done
((${#evtx_files[@]})) || ((dry_run)) || die "no .evtx file under ${evtx_dirs[*]}"

evtx_in="$work/evtx"  # copies of the EVTX files: $work/evtx/cN/<name>
jsonl_in="$work/events.jsonl"
if ((dry_run)); then
    echo "+ inputs: ${#evtx_files[@]} EVTX files x $copies under $evtx_in; flat JSON lines $jsonl_in"
    echo "+ python3 $here/peers_tool.py flatten --yagura ${BIN[yagura]:-$yagura} -o $work/one.jsonl EVTX..."
else
    rm -rf "$work"
    mkdir -p "$evtx_in"
    for ((c = 1; c <= copies; c++)); do
        mkdir -p "$evtx_in/c$c"
        for f in "${evtx_files[@]}"; do
            # Copies, not hard links: yagura hunt reads a file it meets twice (same device and
            # inode) once.
            cp "$f" "$evtx_in/c$c/$(basename "$f")"
        done
    done
    python3 "$here/peers_tool.py" flatten --yagura "$yagura" -o "$work/one.jsonl" "${evtx_files[@]}" >"$work/one.count" ||
        die "flattening the EVTX records failed"
    for ((c = 1; c <= copies; c++)); do cat "$work/one.jsonl"; done >"$jsonl_in"
    cp "$work/one.jsonl.index.tsv" "$jsonl_in.index.tsv"
fi
events_one=$(cat "$work/one.count" 2>/dev/null || echo 0)
events=$((events_one * copies))
evtx_bytes=$( ((dry_run)) && echo 0 || du -cbL "${evtx_files[@]}" | tail -n 1 | cut -f1)
evtx_bytes=$((evtx_bytes * copies))
jsonl_bytes=$( ((dry_run)) && echo 0 || stat -c %s "$jsonl_in")
echo
echo "== inputs"
((dry_run)) && echo "(dry run: counts not measured)"
echo "evtx        ${#evtx_files[@]} files x $copies, $events events, $(calc "$evtx_bytes / 1e6" %.1f) MB (${evtx_dirs[*]})"
echo "jsonl       $events lines, $(calc "$jsonl_bytes / 1e6" %.1f) MB ($jsonl_in)"
echo "rules       $rules"
echo "core        taskset -c $cpu, each tool's threads option at 1"

# ------------------------------------------------------------------ runs
rows=()
out_of() { echo "$work/out-$1-$2"; }
# One measured run: peer, input kind, output file, command...
measure() {
    local peer="$1" kind="$2" out="$3"
    shift 3
    local timef="$work/time-$peer-$kind.txt" rc=0 r wall rss best_wall="" best_rss=""
    local shown="taskset -c $cpu $*"
    shown="${shown//$'\n'/ }"
    ((${#shown} <= 400)) || shown="${shown:0:400} ..."
    echo "run         $peer $kind: $shown"
    ((dry_run)) && return 0
    for ((r = 1; r <= runs; r++)); do
        rm -rf "$out"
        rc=0
        taskset -c "$cpu" "$time_bin" -v -o "$timef" "$@" >"$work/stdout-$peer-$kind" 2>"$work/stderr-$peer-$kind" || rc=$?
        wall=$(sed -n 's/.*Elapsed (wall clock) time[^:]*: *//p' "$timef" | wall_secs)
        rss=$(sed -n 's/.*Maximum resident set size (kbytes): *//p' "$timef")
        if [[ -z "$best_wall" ]] || awk "BEGIN { exit !($wall < $best_wall) }"; then best_wall=$wall; fi
        if [[ -z "$best_rss" ]] || ((rss > best_rss)); then best_rss=$rss; fi
    done
    # Yagura exits 1 on alerts and 3 on events no rule covers; rsigma's default is 0.
    if ! { ((rc == 0)) || { [[ "$peer" == yagura ]] && ((rc == 1 || rc == 3)); }; }; then
        echo "note: $peer exited with status $rc on $kind; last lines of its standard error:" >&2
        tail -n 8 "$work/stderr-$peer-$kind" >&2
        [[ "$peer" == yagura ]] && die "yagura hunt failed"
    fi
    local alerts="?" tsv="$work/alerts-$peer-$kind.json"
    if python3 "$here/peers_tool.py" alerts --tool "$peer" --kind "$kind" --index "$jsonl_in.index.tsv" "$out" >"$tsv" 2>"$work/alerts-$peer-$kind.err"; then
        alerts=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["alerts"])' "$tsv")
    else
        echo "note: could not read $peer's alerts: $(tail -n 1 "$work/alerts-$peer-$kind.err")" >&2
    fi
    rows+=("$peer|$kind|$best_wall|$(calc "$events / $best_wall")|$(calc "$best_rss / 1024" %.1f)|$alerts|$rc")
}

# The flat record of peers_tool.py flatten, in jq: System fields (an element's #text for its
# value) over EventData over UserData's inner element.
# shellcheck disable=SC2016 # jq's own variables
rsigma_flat_jq='def v: if type == "object" and has("#text") then .["#text"] else . end;
.Event as $e | ($e.System // {}) as $s
| ([($e.UserData // {})[] | objects | del(.["#attributes"])] | add // {})
  + (($e.EventData // {}) | if type == "object" then del(.["#attributes"]) else {} end)
  + ({Channel: ($s.Channel | v), EventID: ($s.EventID | v), Computer: ($s.Computer | v),
      EventRecordID: ($s.EventRecordID | v), Level: ($s.Level | v), Task: ($s.Task | v),
      Opcode: ($s.Opcode | v), Keywords: ($s.Keywords | v), Version: ($s.Version | v),
      Provider_Name: $s.Provider["#attributes"].Name,
      TimeCreated: $s.TimeCreated["#attributes"].SystemTime}
     | with_entries(select(.value != null)))'

for p in "${ok[@]}"; do
    case "$p" in
    yagura)
        out=$(out_of yagura evtx)
        measure yagura evtx "$out" "${BIN[yagura]}" hunt --threads 1 -q -r "$rules" -o "$out" "$evtx_in"
        out=$(out_of yagura jsonl)
        measure yagura jsonl "$out" "${BIN[yagura]}" hunt --threads 1 -q -r "$rules" -o "$out" "$jsonl_in"
        ;;
    hayabusa)
        # -w no wizard, -Q no error log files, -A and -a no channel filter (every rule on every
        # file: SigmaHQ's rules name log sources, not the channels Hayabusa's filter reads),
        # noisy/deprecated/unsupported rules on (Hayabusa's lists name SigmaHQ rule ids), the
        # verbose profile for the rule id, record id and file of each alert.
        out=$(out_of hayabusa evtx)
        measure hayabusa evtx "$out" "${BIN[hayabusa]}" json-timeline -d "$evtx_in" -r "$rules" \
            -c "$HAYABUSA_CONFIG" -L -o "$out" -C -w -Q -A -a --enable-noisy-rules \
            --enable-deprecated-rules --enable-unsupported-rules -p verbose -t 1 --no-color
        ;;
    chainsaw)
        # Alerts to standard output: with -o FILE, Chainsaw 2.16.4 leaves the last line of a
        # --jsonl file unwritten (cut in the middle).
        out=$(out_of chainsaw evtx)
        measure chainsaw evtx "$out" bash -c 'exec "$@" >"$0"' "$out" "${BIN[chainsaw]}" --no-banner \
            --num-threads 1 hunt -s "$rules" --mapping "$CHAINSAW_MAPPING" --jsonl -q "$evtx_in"
        ;;
    rsigma)
        # rsigma engine eval reads one EVTX file per run (-e @FILE): one run per file, rules
        # compiled each time, under one /usr/bin/time (its peak RSS is the largest run's). Its
        # rules see an EVTX record in evtx_dump's nesting (Event.EventData.X), where they find
        # none of their fields; --jq flattens each record as peers_tool.py flatten does.
        out=$(out_of rsigma evtx)
        measure rsigma evtx "$out" bash -c 'bin="$1" rules="$2" out="$3" jq="$4"; shift 4; for f; do "$bin" --output-format ndjson -q engine eval -r "$rules" -e "@$f" --include-event --jq "$jq" >>"$out" || exit; done' \
            rsigma-evtx "${BIN[rsigma]}" "$rules" "$out" "$rsigma_flat_jq" "$evtx_in"/c*/*.evtx
        out=$(out_of rsigma jsonl)
        measure rsigma jsonl "$out" bash -c 'exec "$@" >"$0"' "$out" "${BIN[rsigma]}" --output-format ndjson \
            -q engine eval -r "$rules" -e "@$jsonl_in" --include-event
        ;;
    esac
done
((dry_run)) && exit 0

echo
echo "== table (commit $commit; $events events per input; one core: taskset -c $cpu; fastest of $runs run(s))"
printf '| %-9s | %-30s | %-5s | %8s | %10s | %8s | %7s |\n' tool version input "wall s" "events/s" "RSS MB" alerts
printf '|%s|%s|%s|%s|%s|%s|%s|\n' ----------- -------------------------------- ------- ---------- ------------ ---------- ---------
for row in "${rows[@]}"; do
    IFS='|' read -r p k w e m a rc <<<"$row"
    printf '| %-9s | %-30s | %-5s | %8s | %10s | %8s | %7s |\n' "$p" "${VERSION[$p]:0:30}" "$k" "$w" "$e" "$m" "$a"
done
print_unavailable
# The same records in both inputs: Yagura must raise the same alerts on each.
ya_e="" ya_j=""
for row in "${rows[@]}"; do
    IFS='|' read -r p k _ _ _ a _ <<<"$row"
    [[ "$p" == yagura && "$k" == evtx ]] && ya_e=$a
    [[ "$p" == yagura && "$k" == jsonl ]] && ya_j=$a
done
if [[ -n "$ya_e" && -n "$ya_j" && "$ya_e" != "$ya_j" ]]; then
    echo "WARNING: yagura raised $ya_e alerts on the EVTX files and $ya_j on the same records as JSON lines" >&2
fi

if ((compare)) && want yagura; then
    echo
    echo "== flagged events, per rule both fired (events named by EVTX file and EventRecordID)"
    for row in "${rows[@]}"; do
        IFS='|' read -r p k _ <<<"$row"
        [[ "$p" == yagura ]] && continue
        [[ -s "$work/alerts-$p-$k.json" && -s "$work/alerts-yagura-$k.json" ]] || continue
        printf '%s  ' "$k"
        python3 "$here/peers_tool.py" compare --rules "$rules" "$work/alerts-yagura-$k.json" "$work/alerts-$p-$k.json" || true
    done
fi
exit 0
