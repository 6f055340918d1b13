#!/usr/bin/env pwsh
# Fleet build script: build | test | run | bench | pack | settings
#   dotnet tool restore && dotnet pwsh ./build.ps1 test
param(
    [Parameter(Position = 0)][ValidateSet('build', 'test', 'run', 'bench', 'pack', 'settings')][string]$Target = 'build',
    [string]$Configuration = 'Debug',
    [Parameter(ValueFromRemainingArguments = $true)][string[]]$Rest = @()
)

$ErrorActionPreference = 'Stop'
Set-Location $PSScriptRoot

function Invoke-Checked([string]$Command, [string[]]$Arguments) {
    & $Command @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$Command $($Arguments -join ' ') failed with exit code $LASTEXITCODE" }
}

# Installs a Debian package when the command it provides is missing (CI and fresh machines run as root).
function Install-Tool([string]$CommandName, [string]$Package) {
    if (Get-Command $CommandName -ErrorAction SilentlyContinue) { return }
    if (-not (Get-Command apt-get -ErrorAction SilentlyContinue)) {
        throw "'$CommandName' is missing: install the '$Package' package"
    }
    Write-Host "Installing $Package (for $CommandName)..."
    $env:DEBIAN_FRONTEND = 'noninteractive'
    Invoke-Checked 'apt-get' @('update', '-qq')
    Invoke-Checked 'apt-get' @('install', '-y', '-qq', '--no-install-recommends', $Package)
}

switch ($Target) {
    'build' {
        Invoke-Checked 'dotnet' (@('build', 'Fleet.sln', '-c', $Configuration) + $Rest)
    }
    'test' {
        # The metrics test checks /metrics with promtool, from Debian's prometheus package.
        Install-Tool 'promtool' 'prometheus'
        # The dashboard's browser tests drive Debian's Chromium through Playwright (never a downloaded browser).
        Install-Tool 'chromium' 'chromium'
        # The azure-blob artifact tests start Azurite, the Azure Storage emulator, pinned by tests/servers/package-lock.json.
        if (-not (Test-Path (Join-Path $PSScriptRoot 'tests/servers/node_modules/.bin/azurite'))) {
            Invoke-Checked 'npm' @('ci', '--prefix', (Join-Path $PSScriptRoot 'tests/servers'), '--no-audit', '--no-fund', '--loglevel=error')
        }
        $results = Join-Path $PSScriptRoot 'TestResults'
        if (Test-Path $results) { Remove-Item -Recurse -Force $results }
        & dotnet build Fleet.sln -c $Configuration
        if ($LASTEXITCODE -ne 0) {
            Write-Host 'The build failed: no test ran.'
            Write-Host '0 passed, 1 failed, 0 skipped'
            exit 1
        }
        # One test assembly at a time: the scenarios load the machine, and timing-sensitive rollout tests share it.
        & dotnet test Fleet.sln -c $Configuration --no-build -m:1 --logger 'trx' --logger 'console;verbosity=minimal' --results-directory $results @Rest '--' 'RunConfiguration.MaxCpuCount=1'
        $testExit = $LASTEXITCODE
        $passed = 0; $failed = 0; $skipped = 0
        foreach ($trx in Get-ChildItem -Path $results -Filter '*.trx' -Recurse) {
            [xml]$xml = Get-Content $trx.FullName
            $counters = $xml.TestRun.ResultSummary.Counters
            $passed += [int]$counters.passed
            $failed += [int]$counters.failed + [int]$counters.error + [int]$counters.timeout + [int]$counters.aborted
            $skipped += [int]$counters.total - [int]$counters.executed
        }
        if ($testExit -ne 0 -and $failed -eq 0) { $failed = 1 }
        Write-Host "$passed passed, $failed failed, $skipped skipped"
        exit ($(if ($failed -gt 0 -or $testExit -ne 0) { 1 } else { 0 }))
    }
    'run' {
        Invoke-Checked 'dotnet' (@('run', '--project', 'src/Fleet.Server', '-c', $Configuration, '--') + $Rest)
    }
    'bench' {
        # The HTTP benchmark drives load with wrk, from Debian. 'bench quick' runs small versions of everything.
        Install-Tool 'wrk' 'wrk'
        $quick = @($Rest | Where-Object { $_ -eq 'quick' }).Count -gt 0
        $benchArgs = @(if ($quick) { '--quick' }) + @('all')
        $simulationArgs = @(if ($quick) { '--quick' })
        Invoke-Checked 'dotnet' (@('run', '--project', 'tests/Fleet.Benchmarks', '-c', 'Release', '--') + $benchArgs)
        Invoke-Checked 'dotnet' (@('run', '--project', 'tests/Fleet.Simulation', '-c', 'Release', '--') + $simulationArgs)
        Write-Host 'Reports: artifacts/benchmarks/report.md, artifacts/simulation/report.md'
    }
    'settings' {
        # Regenerates src/Fleet.Server/SETTINGS.md from the options classes (the test compares it otherwise).
        $env:FLEET_UPDATE_SETTINGS = '1'
        try {
            Invoke-Checked 'dotnet' @('test', 'tests/Fleet.Server.Tests', '-c', $Configuration, '--filter', 'FullyQualifiedName~SettingsReferenceTests.The_committed_settings_reference')
        }
        finally {
            Remove-Item Env:FLEET_UPDATE_SETTINGS
        }
        Write-Host 'wrote src/Fleet.Server/SETTINGS.md'
    }
    'pack' {
        $out = Join-Path $PSScriptRoot 'artifacts/packages'
        # The SDK depends on the contracts package: pack both, so the SDK restores from this folder alone.
        Invoke-Checked 'dotnet' @('pack', 'src/Fleet.Contracts', '-c', 'Release', '-o', $out)
        Invoke-Checked 'dotnet' @('pack', 'src/Fleet.Client', '-c', 'Release', '-o', $out)
        Invoke-Checked 'dotnet' @('pack', 'src/Fleet.Cli', '-c', 'Release', '-o', $out)
        Get-ChildItem $out -Filter '*.nupkg' | ForEach-Object { Write-Host "packed $($_.FullName)" }
    }
}
