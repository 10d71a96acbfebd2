#!/usr/bin/env bash
# The manual page and the bash completion against the binary: every command of `netlab --help` has
# its section in doc/netlab.1.scd (and in the page scdoc builds from it), every option its
# `netlab COMMAND --help` shows is in that section, and completion offers every command and every
# option. Touches nothing on the machine (only --help runs). Run by `make test`.
#   scripts/doc-check.sh [NETLAB]
set -euo pipefail
cd "$(dirname "$0")/.."
NETLAB=${1:-${NETLAB:-./netlab}}
SCD=doc/netlab.1.scd
fails=0
bad() { echo "doc-check: $*" >&2; fails=$((fails + 1)); }

# shellcheck source=../completion/netlab.bash
source completion/netlab.bash
complete_words() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _netlab; printf '%s\n' "${COMPREPLY[@]}"; }

cmds=$("$NETLAB" --help | awk '/^Commands:/ { on = 1; next } /^$/ { on = 0 } on { print $1 }')
[ -n "$cmds" ] || bad "no commands in '$NETLAB --help'"
page=""
if command -v scdoc >/dev/null; then
	page=$(scdoc < "$SCD") || bad "scdoc could not build $SCD"
else
	bad "scdoc is not installed (scripts/deps.sh installs it): the page was not built"
fi
offered=$(complete_words "$NETLAB" "")
checked=0
for c in $cmds; do
	# the section `## c` of the source, up to the next heading
	sect=$(awk -v c="$c" '$0 == "## " c { on = 1; next } /^#/ { on = 0 } on' "$SCD")
	[ -n "$sect" ] || { bad "$SCD has no section '## $c'"; continue; }
	grep -q "^\*netlab $c\*" <<<"$sect" || bad "$SCD, ## $c: no synopsis line '*netlab $c*'"
	[ -z "$page" ] || grep -q "^\\\\fBnetlab $c\\\\fR" <<<"$page" || bad "the built page has no synopsis 'netlab $c'"
	grep -qx -- "$c" <<<"$offered" || bad "completion does not offer the command '$c'"
	opts=$(_netlab_options "$NETLAB" "$c")
	copts=$(complete_words "$NETLAB" "$c" -)
	for o in $opts; do
		[ "$o" = --help ] || [ "$o" = -h ] && continue
		# described: a line of the section's option list starts with it, bold (*-n*, *--name* _LAB_)
		grep -qE -- "^(\*-[^*]+\*, )*\*$o\*(,| |\$)" <<<"$sect" ||
			bad "$SCD, ## $c: option $o of '$NETLAB $c --help' is not described"
		grep -qx -- "$o" <<<"$copts" || bad "completion of '$c -' does not offer $o"
		checked=$((checked + 1))
	done
done
for s in "EXIT STATUS" FILES ENVIRONMENT; do
	grep -q "^# $s\$" "$SCD" || bad "$SCD has no section '# $s'"
done
if [ "$fails" -gt 0 ]; then
	echo "doc-check: $fails problems" >&2
	exit 1
fi
echo "doc-check: the manual page and completion cover $(wc -w <<<"$cmds") commands and $checked options"
