#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The bash completion of ipvsctl (ipvsctl/bash-completion/ipvsctl), driven
# without a terminal: each case sets COMP_LINE, COMP_POINT, COMP_WORDS and
# COMP_CWORD as bash would for a line typed up to its end, calls the
# completion function and compares COMPREPLY, sorted, with what is
# expected. Then the completion is checked against the tool itself:
# every command "ipvsctl help" lists, and every long option each
# command's --help lists, must be completed, and nothing more.
#
# Live service and backend names come from a stand-in for ipvsctl that
# prints a fixed "ipvsctl list"; one that hangs checks the time limit.
#
# KTAP output (as ktap.h); exit status 0 only if every point passed.

set -u
here=$(cd "$(dirname "$0")" && pwd)
top=${IPVSCTL_TOP:-$(cd "$here/../.." && pwd)}
comp=$top/ipvsctl/bash-completion/ipvsctl
tool=${IPVSCTL_BIN:-$top/build/bin/ipvsctl}

n=0 pass=0 fail=0 skip=0
out=()

ok() {	# ok COND_RC DESCRIPTION [DIAGNOSTIC...]
	local rc=$1 desc=$2 d
	shift 2
	n=$((n + 1))
	if [ "$rc" -eq 0 ]; then
		pass=$((pass + 1))
		out+=("ok $n $desc")
	else
		fail=$((fail + 1))
		out+=("not ok $n $desc")
		for d in "$@"; do
			out+=("# $d")
		done
	fi
}

skipped() {	# skipped DESCRIPTION REASON
	n=$((n + 1))
	skip=$((skip + 1))
	out+=("ok $n $1 # SKIP $2")
}

finish() {
	echo "TAP version 13"
	echo "1..$n"
	printf '%s\n' "${out[@]}"
	echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skip error:0"
	[ "$fail" -eq 0 ]
	exit
}

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# shellcheck source-path=SCRIPTDIR/../.. source=ipvsctl/bash-completion/ipvsctl
if ! source "$comp" 2>"$tmp/source.err" || ! declare -F _ipvsctl >/dev/null; then
	ok 1 "the completion loads" "$(cat "$tmp/source.err")"
	finish
fi
ok 0 "the completion loads"
complete -p ipvsctl >/dev/null 2>&1
ok $? "it is registered for ipvsctl"

# comp_words LINE: COMP_* as bash sets them for LINE typed up to its end.
# COMP_WORDS splits at blanks and around the ':' and '=' of
# COMP_WORDBREAKS.
comp_words() {
	local line=$1 w='' c i
	COMP_LINE=$line
	COMP_POINT=${#line}
	COMP_WORDS=()
	for ((i = 0; i < ${#line}; i++)); do
		c=${line:i:1}
		case $c in
		' ' | $'\t')
			[ -n "$w" ] && COMP_WORDS+=("$w")
			w=''
			;;
		: | =)
			if [ -n "$w" ] && [[ $w != *[:=] ]]; then
				COMP_WORDS+=("$w")
				w=''
			fi
			w+=$c
			;;
		*)
			if [[ $w == *[:=] ]]; then
				COMP_WORDS+=("$w")
				w=''
			fi
			w+=$c
			;;
		esac
	done
	COMP_WORDS+=("$w")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
}

# complete LINE: the candidates, sorted, one line
complete_line() {
	comp_words "$1"
	COMPREPLY=()
	_ipvsctl ipvsctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]:-}"
	printf '%s\n' "${COMPREPLY[@]}" | sed '/^$/d' | LC_ALL=C sort | xargs
}

# expect LINE WORDS...: LINE completes to exactly WORDS (in any order)
expect() {
	local line=$1 want got
	shift
	want=$(printf '%s\n' "$@" | sed '/^$/d' | LC_ALL=C sort | xargs)
	got=$(complete_line "$line")
	[ "$got" = "$want" ]
	ok $? "'$line' completes to: ${want:-nothing}" "got: ${got:-nothing}"
}

cmds=(apply backend batch daemon drain flush health help kube list maglev metrics
	restore save service show sync sysctl timeout undrain version zero)
svc_keys=(flags hash netmask ops pe persistent pin pin-max scheduler slow-start
	slow-start-aggression slow-start-min-pct table-size)

# ---- commands, subcommands, keywords, values ------------------------------
expect "ipvsctl " "${cmds[@]}"
expect "ipvsctl ma" maglev
expect "ipvsctl --" --json --netns --file --quiet --version --help
expect "ipvsctl -q s" save service show sync sysctl
expect "ipvsctl service " add edit del flush
expect "ipvsctl service add " tcp/ udp/ sctp/ fwmark/ fwmark6/
expect "ipvsctl service add f" fwmark/ fwmark6/
expect "ipvsctl service add tcp/192.0.2.1:80 " "${svc_keys[@]}"
expect "ipvsctl service add tcp/192.0.2.1:80 sl" slow-start slow-start-aggression \
	slow-start-min-pct
expect "ipvsctl service add tcp/192.0.2.1:80 scheduler ma" maglev
expect "ipvsctl service edit tcp/192.0.2.1:80 hash " auto 5tuple src srcport
expect "ipvsctl service add tcp/192.0.2.1:80 flags flag-1,mh" flag-1,mh-fallback flag-1,mh-port
expect "ipvsctl service add udp/192.0.2.1:53 ops " on off "${svc_keys[@]}"
expect "ipvsctl service add udp/192.0.2.1:53 ops on pin " on off auto
expect "ipvsctl backend add tcp/192.0.2.1:80 10.0.0.2 method " nat dr tun
expect "ipvsctl backend add tcp/192.0.2.1:80 10.0.0.2 weight 3 tun-" tun-type tun-port tun-csum
expect "ipvsctl timeout set tcp 900 " tcp tcpfin udp
expect "ipvsctl sync start ba" backup
expect "ipvsctl maglev " info show set lookup flush-pins down up
expect "ipvsctl maglev set tcp/192.0.2.1:80 table-size " default
expect "ipvsctl maglev lookup tcp/192.0.2.1:80 10.1.1.1 pro" proto
expect "ipvsctl maglev lookup tcp/192.0.2.1:80 10.1.1.1 proto " tcp udp sctp
expect "ipvsctl sysctl " check set
expect "ipvsctl health " status
expect "ipvsctl help da" daemon
expect "ipvsctl list --" --stats --rate --maglev --json --help
expect "ipvsctl apply --format " auto grammar json
expect "ipvsctl apply --format=js" json
expect "ipvsctl drain tcp/192.0.2.1:80 10.0.0.2 --then " remove keep
expect "ipvsctl drain tcp/192.0.2.1:80 10.0.0.2 --t" --then --timeout
expect "ipvsctl version " ""

# ---- file names ------------------------------------------------------------
mkdir -p "$tmp/conf.d"
: >"$tmp/config"
: >"$tmp/other"
expect "ipvsctl -f $tmp/con" "$tmp/conf.d" "$tmp/config"
expect "ipvsctl restore $tmp/o" "$tmp/other"
# after "--file=" bash replaces what follows the '=': the name alone
expect "ipvsctl apply --file=$tmp/conf" "$tmp/conf.d" "$tmp/config"

# ---- COMP_WORDS alone, as an older caller sets them --------------------------
unset COMP_LINE COMP_POINT
COMP_WORDS=(ipvsctl timeout '')
COMP_CWORD=2
COMPREPLY=()
_ipvsctl ipvsctl '' timeout
got=$(printf '%s\n' "${COMPREPLY[@]}" | LC_ALL=C sort | xargs)
[ "$got" = "set show" ]
ok $? "COMP_WORDS without COMP_LINE: 'ipvsctl timeout ' completes to: set show" \
	"got: ${got:-nothing}"

# ---- live names, from a stand-in for ipvsctl -----------------------------------
fake=$tmp/bin/ipvsctl
mkdir -p "$tmp/bin"
cat >"$fake" <<'EOF'
#!/bin/sh
# "ipvsctl list [SERVICE]", as the tool prints it
[ "$1" = list ] || exit 2
cat <<'LIST'
  backend                                    method  weight  active inactive
tcp/192.0.2.10:443 maglev (table 65521, hash 5tuple, digest 0x0123456789abcdef)
  -> 10.0.0.11:443                           dr         100       0        0
  -> 10.0.0.12:443                           dr         100       0        0
udp/[2001:db8::53]:53 maglev flags flag-2 (table 65521, hash 5tuple, digest 0x0000000000000001)
fwmark/100 wlc
LIST
EOF
chmod +x "$fake"
expect "$fake list " tcp/192.0.2.10:443 "udp/[2001:db8::53]:53" fwmark/100 \
	tcp/ udp/ sctp/ fwmark/ fwmark6/
expect "$fake service del t" tcp/192.0.2.10:443 tcp/
# bash replaces only what follows the last ':' of the word
expect "$fake maglev show tcp/192.0.2.10:4" 443
expect "$fake backend del tcp/192.0.2.10:443 " 10.0.0.11:443 10.0.0.12:443
expect "$fake drain tcp/192.0.2.10:443 10.0.0.1" 10.0.0.11:443 10.0.0.12:443
expect "$fake service add " tcp/ udp/ sctp/ fwmark/ fwmark6/

if type -P timeout >/dev/null; then
	hang=$tmp/hang/ipvsctl
	mkdir -p "$tmp/hang"
	printf '#!/bin/sh\nexec sleep 30\n' >"$hang"
	chmod +x "$hang"
	start=$(date +%s%N)
	got=$(complete_line "$hang list ")
	ms=$((($(date +%s%N) - start) / 1000000))
	[ "$ms" -lt 5000 ]
	ok $? "a tool that hangs is given up on ($ms ms)"
else
	skipped "a tool that hangs is given up on" "no timeout(1)"
fi

# ---- against the tool: its commands and options ----------------------------------
if [ ! -x "$tool" ]; then
	ok 1 "every command of 'ipvsctl help' is completed" "no $tool: make ipvsctl"
	finish
fi
have=$("$tool" help | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p' | LC_ALL=C sort | xargs)
got=$(complete_line "ipvsctl ")
[ -n "$have" ] && [ "$got" = "$have" ]
ok $? "every command of 'ipvsctl help' is completed, and no other" \
	"ipvsctl help: $have" "completed:    $got"

for c in $have; do
	case $c in
	help | version) continue ;;	# no options
	esac
	# popt's help: "  -f, --file=FILE   ..." or "      --check   ..."
	want=$("$tool" "$c" --help 2>/dev/null |
		sed -n 's/^ \{1,\}\(-[A-Za-z], \)\{0,1\}\(--[a-z][a-z-]*\).*/\2/p' | LC_ALL=C sort -u | xargs)
	got=$(complete_line "ipvsctl $c --" | tr ' ' '\n' | LC_ALL=C sort -u | xargs)
	[ -n "$want" ] && [ "$got" = "$want" ]
	ok $? "'ipvsctl $c --' completes the long options of 'ipvsctl $c --help'" \
		"--help: $want" "completed: $got"
done

# ---- with the bash-completion package's helpers, when it is installed ---------
bc=/usr/share/bash-completion/bash_completion
if [ -r "$bc" ]; then
	# shellcheck disable=SC1090
	if (source "$bc" >/dev/null 2>&1; source "$comp"
		got=$(complete_line "ipvsctl restore $tmp/o")
		[ "$got" = "$tmp/other" ]); then
		ok 0 "with bash-completion's _filedir: file names complete"
	else
		ok 1 "with bash-completion's _filedir: file names complete"
	fi
else
	skipped "with bash-completion's _filedir: file names complete" "bash-completion not installed"
fi

finish
