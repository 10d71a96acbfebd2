# bash completion for netlab(1): commands, options, lab names and host names.
# Installed by `make install` to $(PREFIX)/share/bash-completion/completions/netlab.
# Commands and options are read from `netlab --help` and `netlab COMMAND --help`, so they follow the
# binary; labs from /run/netlab, hosts from each lab's state file (root only), else from the
# /run/netns/LAB-HOST mounts every host has.

_netlab_labs()
{
	local d n
	if [ -r /run/netlab ] && [ -x /run/netlab ]; then
		for d in /run/netlab/*/; do
			[ -d "$d" ] && n=${d%/} && echo "${n##*/}"
		done
	else
		for n in /run/netns/*-*; do
			[ -e "$n" ] && n=${n##*/} && echo "${n%%-*}"
		done | sort -u
	fi
}

# the hosts of lab $1, one a line
_netlab_hosts()
{
	local n
	if [ -r "/run/netlab/$1/state" ]; then
		awk '$1 == "host" { print $2 }' "/run/netlab/$1/state" 2>/dev/null
	else
		for n in /run/netns/"$1"-*; do
			[ -e "$n" ] && n=${n##*/} && echo "${n#*-}"
		done
	fi
}

# HOST words: LAB/HOST for every lab, and plain HOST when one lab is up (or --lab names it)
_netlab_host_words()
{
	local lab=$1 l labs
	if [ -n "$lab" ]; then
		_netlab_hosts "$lab"
		return
	fi
	labs=$(_netlab_labs)
	for l in $labs; do
		_netlab_hosts "$l" | sed "s|^|$l/|"
	done
	[ "$(echo "$labs" | grep -c .)" = 1 ] && _netlab_hosts "$labs"
}

# the options of command $2, from the usage lines and the Options section of its --help
_netlab_options()
{
	{
		echo --help
		"$1" "$2" --help 2>/dev/null |
			awk '/^Usage:|^       netlab / { print; next } /^Options:/ { o = 1; next } /^$/ { o = 0 }
			     o && /^ +-/ { sub(/  +[^ -].*$/, ""); print }' |
			grep -oE -- '(^|[ ,[|])--?[a-zA-Z0-9][a-zA-Z0-9-]*' | sed 's/^[ ,[|]//' || true
	} | sort -u
}

_netlab()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local netlab=${COMP_WORDS[0]} cmd="" lab="" i w npos=0
	COMPREPLY=()

	# the command, a --lab/-l value, a `--` (exec: then a command line), positionals so far
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [ -z "$cmd" ]; then
			case "$w" in -*) ;; *) cmd=$w ;; esac
			continue
		fi
		case "$w" in
		--) [ "$cmd" = exec ] && { COMPREPLY=($(compgen -c -- "$cur")); return; } ;;
		-l | --lab) lab=${COMP_WORDS[i + 1]}; i=$((i + 1)) ;;
		-f | --file | -o | --output | -n | --name | -s | --subnet | --subnet6 | -e | --empty | --ns | -c | --count | \
			-W | --timeout | --wait | -i | --iface | -r | --rate | -d | --delay | -j | --jitter | -p | --loss | \
			--exec-timeout)
			# options that take a value (-c, -d, -j differ by command: count them as values only
			# where they take one)
			case "$cmd:$w" in
			link:-c | down:-d | console:-d | status:-j | compare:-j | verify:-j | pingall:-j) ;;
			*) i=$((i + 1)) ;;
			esac
			;;
		-*) ;;
		*) npos=$((npos + 1)) ;;
		esac
	done

	if [ -z "$cmd" ]; then
		COMPREPLY=($(compgen -W "$("$netlab" --help 2>/dev/null |
			awk '/^Commands:/ { on = 1; next } /^$/ { on = 0 } on { print $1 }') --help --version" -- "$cur"))
		return
	fi

	case "$prev" in
	-l | --lab) COMPREPLY=($(compgen -W "$(_netlab_labs)" -- "$cur")); return ;;
	-f | --file | -o | --output) COMPREPLY=($(compgen -f -- "$cur")); compopt -o filenames 2>/dev/null; return ;;
	--ns) COMPREPLY=($(compgen -W "+cgroup +time +cgroup,+time" -- "$cur")); return ;;
	-i | --iface) [ "$cmd" = link ] && { COMPREPLY=($(compgen -W "eth0 eth1 eth2 eth3 eth4 eth5 eth6 eth7" -- "$cur")); return; } ;;
	-n | --name | -s | --subnet | --subnet6 | -e | --empty | -W | --timeout | --wait | -r | --rate | --delay | --jitter | --loss | --count | \
		--exec-timeout)
		return ;;
	esac

	if [[ "$cur" == -* ]]; then
		COMPREPLY=($(compgen -W "$(_netlab_options "$netlab" "$cmd")" -- "$cur"))
		return
	fi

	case "$cmd" in
	exec | shell | compare | link | logs)
		[ "$npos" = 0 ] && COMPREPLY=($(compgen -W "$(_netlab_host_words "$lab")" -- "$cur"))
		[ "$cmd" = exec ] && [ "$npos" = 1 ] && COMPREPLY=(--)
		;;
	down | status | verify | pingall | console | graph)
		[ "$npos" = 0 ] && COMPREPLY=($(compgen -W "$(_netlab_labs)" -- "$cur"))
		;;
	esac
}

complete -F _netlab netlab ./netlab
