# bash completion of yagura: commands, subcommands, and the options each
# command's --help lists (read from the installed binary, so they match it).
_yagura()
{
    local cur prev words cword
    _init_completion || return
    local cmds="hunt decode watch rules incidents serve intel version help"
    if ((cword == 1)); then
        COMPREPLY=($(compgen -W "$cmds --help --version" -- "$cur"))
        return
    fi
    local sub=""
    case ${words[1]} in
    rules) sub="check install update list" ;;
    intel) sub="check load pull export" ;;
    incidents) sub="list show close export report" ;;
    esac
    if [[ -n $sub ]] && ((cword == 2)); then
        COMPREPLY=($(compgen -W "$sub" -- "$cur"))
        return
    fi
    if [[ $cur == -* ]]; then
        local helpcmd=("${words[1]}")
        [[ -n $sub ]] && helpcmd+=("${words[2]}")
        COMPREPLY=($(compgen -W "$("${words[0]}" "${helpcmd[@]}" --help 2>/dev/null |
            grep -oE -- '(^|[ ,])--?[A-Za-z][A-Za-z-]*' | tr -d ' ,')" -- "$cur"))
        return
    fi
    _filedir
}
complete -F _yagura yagura
