/**
 * The scripts `tug completion SHELL` prints. Each is small and static: it hands the words
 * before the cursor to `tug __complete` (the same program the user typed, `words[0]`) and
 * gives the shell what comes back, `value<TAB>description` a line and a last `:directive`
 * line (complete.ts). Candidates ending in `=` or `:` (`web=`, `web:`) take no space after.
 */
import type { SHELLS } from './complete.js';

/** The text as written: no escapes; `\${` stands for the shells' own `${`. */
function script(parts: TemplateStringsArray): string {
  return parts.raw.join('').replaceAll('\\${', '${');
}

const BASH = script`# tug completion for bash. Load it in ~/.bashrc with
#   source <(tug completion bash)
# or save it as ~/.local/share/bash-completion/completions/tug.
_tug_complete() {
    local line="\${COMP_LINE:0:COMP_POINT}"
    local -a words
    read -r -a words <<< "$line"
    # After a space the word being completed is a new, empty one.
    [[ "$line" =~ [[:space:]]$ ]] && words+=("")
    ((\${#words[@]} < 2)) && return 0
    local cur="\${words[\${#words[@]}-1]}"
    # Readline replaces only what follows the last = or : (when COMP_WORDBREAKS has them).
    local brk="" tail="$cur"
    [[ "$COMP_WORDBREAKS" == *=* ]] && brk+="="
    [[ "$COMP_WORDBREAKS" == *:* ]] && brk+=":"
    [[ -n "$brk" ]] && tail="\${cur##*[$brk]}"
    local keep="\${cur%"$tail"}"
    local out
    out="$("\${words[0]}" __complete "\${words[@]:1}" 2>/dev/null)" || return 0
    local -a lines
    mapfile -t lines <<< "$out"
    local directive="\${lines[\${#lines[@]}-1]}"
    unset 'lines[\${#lines[@]}-1]'
    COMPREPLY=()
    local l v
    for l in "\${lines[@]}"; do
        v="\${l%%$'\t'*}"
        [[ -z "$v" || "$v" != "$keep"* ]] && continue
        [[ "$v" == *[=:] ]] && compopt -o nospace 2>/dev/null
        COMPREPLY+=("\${v#"$keep"}")
    done
    case "$directive" in
        :file)
            compopt -o filenames 2>/dev/null
            mapfile -t -O "\${#COMPREPLY[@]}" COMPREPLY < <(compgen -f -- "$tail")
            ;;
        :dir)
            compopt -o filenames 2>/dev/null
            mapfile -t -O "\${#COMPREPLY[@]}" COMPREPLY < <(compgen -d -- "$tail")
            ;;
    esac
    return 0
}
complete -F _tug_complete tug
`;

const ZSH = script`#compdef tug
# tug completion for zsh. Load it in ~/.zshrc, after compinit, with
#   source <(tug completion zsh)
# or save it as _tug in a directory of $fpath.
_tug() {
    local out directive line value desc
    out="$(\${words[1]} __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)" || return 1
    local -a lines spaced unspaced
    lines=("\${(@f)out}")
    directive="\${lines[-1]}"
    lines=("\${(@)lines[1,-2]}")
    for line in "\${lines[@]}"; do
        [[ -z "$line" ]] && continue
        value="\${line%%$'\t'*}"
        desc=""
        [[ "$line" == *$'\t'* ]] && desc="\${line#*$'\t'}"
        # _describe reads NAME:DESCRIPTION; a colon in the name is escaped.
        value="\${value//:/\\:}\${desc:+:$desc}"
        if [[ "\${line%%$'\t'*}" == *[=:] ]]; then unspaced+=("$value"); else spaced+=("$value"); fi
    done
    local ret=1
    (( \${#spaced} )) && _describe -t values 'tug' spaced && ret=0
    (( \${#unspaced} )) && _describe -t values 'tug' unspaced -S '' && ret=0
    case "$directive" in
        :file) [[ "$PREFIX" == --*=* ]] && compset -P '*='; _files && ret=0 ;;
        :dir) [[ "$PREFIX" == --*=* ]] && compset -P '*='; _files -/ && ret=0 ;;
    esac
    return ret
}
if [[ "\${funcstack[1]}" == _tug ]]; then
    _tug "$@"
else
    compdef _tug tug
fi
`;

const FISH = script`# tug completion for fish. Load it with
#   tug completion fish | source
# or save it as ~/.config/fish/completions/tug.fish.
function __tug_complete
    set -l tokens (commandline -opc)
    set -l current (commandline -ct)
    set -l out ($tokens[1] __complete $tokens[2..-1] "$current" 2>/dev/null)
    or return
    set -l directive $out[-1]
    set -e out[-1]
    # fish puts no space after a candidate ending in = or :.
    set -q out[1]; and printf '%s\n' $out
    # A path after --file= keeps its --file= (fish replaces the whole token); quoted, an empty
    # prefix is an empty string rather than an empty list (which would expand to nothing).
    set -l prefix (string match -r '^--[^=]*=' -- "$current")
    set -l rest (string replace -r '^--[^=]*=' '' -- "$current")
    switch $directive
        case :file
            for p in (__fish_complete_path "$rest")
                echo "$prefix$p"
            end
        case :dir
            for p in (__fish_complete_directories "$rest")
                echo "$prefix$p"
            end
    end
end
complete -c tug -f -a '(__tug_complete)'
`;

export function completionScript(shell: (typeof SHELLS)[number]): string {
  return { bash: BASH, zsh: ZSH, fish: FISH }[shell];
}
