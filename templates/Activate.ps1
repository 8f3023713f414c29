# Activation script for PowerShell. Dot-source it: `. bin/Activate.ps1` (running it as
# `bin/Activate.ps1` also works, since everything it defines is global). `deactivate` undoes it;
# `deactivate -NonDestructive` restores the variables but keeps the function.
# The file is UTF-8 without a byte order mark, which PowerShell 7 reads as such.

# deactivate [-NonDestructive]: put back what activation changed.
function global:deactivate {
    param([switch] $NonDestructive)

    # The search path saved at activation.
    if (Test-Path -LiteralPath 'Env:_OLD_VIRTUAL_PATH') {
        $env:PATH = $env:_OLD_VIRTUAL_PATH
        Remove-Item -LiteralPath 'Env:_OLD_VIRTUAL_PATH'
    }
    # PYTHONHOME, only if it was set before activation.
    if (Test-Path -LiteralPath 'Env:_OLD_VIRTUAL_PYTHONHOME') {
        $env:PYTHONHOME = $env:_OLD_VIRTUAL_PYTHONHOME
        Remove-Item -LiteralPath 'Env:_OLD_VIRTUAL_PYTHONHOME'
    }
    # The prompt function saved at activation.
    if (Test-Path -LiteralPath 'Function:_OLD_VIRTUAL_PROMPT') {
        Set-Item -Path 'Function:global:prompt' -Value ${function:_OLD_VIRTUAL_PROMPT}
        Remove-Item -LiteralPath 'Function:_OLD_VIRTUAL_PROMPT'
    }
    foreach ($name in @('VIRTUAL_ENV', 'VIRTUAL_ENV_PROMPT')) {
        if (Test-Path -LiteralPath "Env:$name") {
            Remove-Item -LiteralPath "Env:$name"
        }
    }
    if (-not $NonDestructive) {
        Remove-Item -LiteralPath 'Function:deactivate'
    }
}

# Leave any environment that is active now.
deactivate -NonDestructive

# Fixed when the environment was created. Single-quoted strings expand nothing.
$env:VIRTUAL_ENV = __VIRTUAL_ENV__
# VIRTUAL_ENV_PROMPT as this Python's venv sets it in PowerShell: unset before 3.10, the name
# only with the prompt shown for 3.10-3.12, the name always from 3.13.
__SET_PROMPT_VAR__

# Put the environment's bin directory first on the search path (plain string joining, which
# unlike Join-Path never looks at drives or wildcards).
$env:_OLD_VIRTUAL_PATH = $env:PATH
$env:PATH = $env:VIRTUAL_ENV + [System.IO.Path]::DirectorySeparatorChar + __BIN_NAME__ + [System.IO.Path]::PathSeparator + $env:PATH

# A PYTHONHOME would point the environment's interpreter at another installation.
if (Test-Path -LiteralPath 'Env:PYTHONHOME') {
    $env:_OLD_VIRTUAL_PYTHONHOME = $env:PYTHONHOME
    Remove-Item -LiteralPath 'Env:PYTHONHOME'
}

# Show "(prompt) " before the prompt by wrapping the prompt function; Write-Host prints the
# text as it is.
if ((-not $env:VIRTUAL_ENV_DISABLE_PROMPT) -and (Test-Path -LiteralPath 'Function:prompt')) {
    Set-Item -Path 'Function:global:_OLD_VIRTUAL_PROMPT' -Value ${function:prompt}
    function global:prompt {
        Write-Host -NoNewline ('(' + __VIRTUAL_ENV_PROMPT__ + ') ')
        _OLD_VIRTUAL_PROMPT
    }
}
if (-not $env:VIRTUAL_ENV_DISABLE_PROMPT) {
    __SET_PROMPT_VAR_IF_SHOWN__
}
