# Activation script for fish. Use it with `source bin/activate.fish`; `deactivate` undoes it.

# deactivate [nondestructive]: put back what activation changed. With `nondestructive` the
# function itself stays defined (activation calls it that way to clear any previous env).
function deactivate --description 'Leave the virtual environment'
    # The search path saved at activation.
    if set -q _OLD_VIRTUAL_PATH
        set -gx PATH $_OLD_VIRTUAL_PATH
        set -e _OLD_VIRTUAL_PATH
    end
    # PYTHONHOME, only if it was set before activation.
    if set -q _OLD_VIRTUAL_PYTHONHOME
        set -gx PYTHONHOME $_OLD_VIRTUAL_PYTHONHOME
        set -e _OLD_VIRTUAL_PYTHONHOME
    end
    # The prompt: bring back the saved fish_prompt, or drop ours if there was none.
    if set -q _RVENV_FISH_PROMPT_WRAPPED
        set -e _RVENV_FISH_PROMPT_WRAPPED
        functions -e fish_prompt
        if functions -q _rvenv_old_fish_prompt
            functions -c _rvenv_old_fish_prompt fish_prompt
            functions -e _rvenv_old_fish_prompt
        end
        functions -e _rvenv_return
    end
    set -e VIRTUAL_ENV
    set -e VIRTUAL_ENV_PROMPT
    if test "$argv[1]" != nondestructive
        functions -e deactivate
    end
end

# Leave any environment that is active now.
deactivate nondestructive

set -gx VIRTUAL_ENV __VIRTUAL_ENV__
# VIRTUAL_ENV_PROMPT as this Python's venv sets it: unset before 3.10, "(name) " and only
# with the prompt shown for 3.10-3.12, the bare name from 3.13.
__SET_PROMPT_VAR__

# Put the environment's bin directory first on the search path.
set -g _OLD_VIRTUAL_PATH $PATH
set -gx PATH "$VIRTUAL_ENV/"__BIN_NAME__ $PATH

# A PYTHONHOME would point the environment's interpreter at another installation.
if set -q PYTHONHOME
    set -g _OLD_VIRTUAL_PYTHONHOME $PYTHONHOME
    set -e PYTHONHOME
end

# Show "(prompt) " before the prompt by wrapping fish_prompt; the old one is kept under
# another name and called with the exit status it would have seen.
if test -z "$VIRTUAL_ENV_DISABLE_PROMPT"
    if functions -q fish_prompt
        functions -c fish_prompt _rvenv_old_fish_prompt
    end
    set -g _RVENV_FISH_PROMPT_WRAPPED 1

    function _rvenv_return --description 'Return the given status'
        return $argv[1]
    end

    function fish_prompt --description 'Prompt with the virtual environment name'
        set -l last_status $status
        printf '(%s) ' __VIRTUAL_ENV_PROMPT__
        if functions -q _rvenv_old_fish_prompt
            _rvenv_return $last_status
            _rvenv_old_fish_prompt
        end
    end
    __SET_PROMPT_VAR_IF_SHOWN__
end
