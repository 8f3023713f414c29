# rvenv's prompt hook for zsh, from `rvenv hook zsh` (put `eval "$(rvenv hook zsh)"` in
# ~/.zshrc). Before each prompt, if the directory changed, rvenv says what to do: activate the
# nearest trusted environment, deactivate the one this hook activated, or nothing. rvenv reads
# the environment's pyvenv.cfg and path only; nothing in the directory is sourced or run.
_rvenv_hook() {
    if [[ "${_RVENV_HOOK_PWD-}" != "$PWD" ]]; then
        _RVENV_HOOK_PWD=$PWD
        eval "$(__RVENV__ hook-eval zsh "${_RVENV_HOOK_ENV-}" "${_RVENV_HOOK_WARNED-}")"
    fi
}
typeset -ga precmd_functions
if (( ! ${precmd_functions[(I)_rvenv_hook]} )); then
    precmd_functions=(_rvenv_hook $precmd_functions)
fi
