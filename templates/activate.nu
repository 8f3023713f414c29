# Activation module for nushell. Use it with
#     overlay use /path/to/env/bin/activate.nu
# and leave with `deactivate` (the same as `overlay hide activate --keep-env [PWD]`).
#
# Everything below changes the environment inside the `activate` overlay only, so hiding the
# overlay puts back PATH, PYTHONHOME and the prompt exactly as they were (the helper
# variables _RVENV_BASE_PATH and _RVENV_BASE_PROMPT go with it). The overlay is named
# after this file; if it is activated under another name (`overlay use … as foo`), leave it
# with `overlay hide foo`.

export-env {
    # Fixed when the environment was created.
    let virtual_env = __VIRTUAL_ENV__
    let bin_name = __BIN_NAME__
    let prompt_name = __VIRTUAL_ENV_PROMPT__

    # Activating again inside the same overlay (this env or another one) starts from the
    # search path and prompt that the first activation found, kept in _RVENV_BASE_*.
    let first = not ('_RVENV_BASE_PATH' in ($env | columns))
    let base_path = if $first { $env.PATH? | default [] } else { $env._RVENV_BASE_PATH }
    let base_prompt = if $first { $env.PROMPT_COMMAND? } else { $env._RVENV_BASE_PROMPT }

    # Put the environment's bin directory first on the search path (a list, or a string if
    # nothing converted it yet).
    let path_list = if ($base_path | describe) == 'string' {
        $base_path | split row (char esep)
    } else {
        $base_path
    }

    load-env {
        VIRTUAL_ENV: $virtual_env
        PATH: ($path_list | prepend ($virtual_env | path join $bin_name))
        _RVENV_BASE_PATH: $base_path
        _RVENV_BASE_PROMPT: $base_prompt
    }

    # VIRTUAL_ENV_PROMPT as this Python's venv sets it: unset before 3.10, "(name) " and only
    # with the prompt shown for 3.10-3.12, the bare name from 3.13.
    __SET_PROMPT_VAR__

    # A PYTHONHOME would point the environment's interpreter at another installation.
    hide-env -i PYTHONHOME

    # Show "(prompt) " before the prompt, whether PROMPT_COMMAND is a closure, a string or
    # unset. Nushell prints the prompt text as it is, so no escaping is needed.
    let disabled = ($env.VIRTUAL_ENV_DISABLE_PROMPT? | default '' | into string | is-not-empty)
    if not $disabled {
        let prefix = '(' + $prompt_name + ') '
        $env.PROMPT_COMMAND = {||
            let base = if ($base_prompt | describe) == 'closure' {
                do $base_prompt
            } else {
                $base_prompt | default ''
            }
            $prefix + ($base | into string)
        }
        __SET_PROMPT_VAR_IF_SHOWN__
    } else if not $first {
        $env.PROMPT_COMMAND = $base_prompt
    }
}

# Leave the environment: hide this overlay, keeping the current directory.
export alias deactivate = overlay hide activate --keep-env [PWD]
