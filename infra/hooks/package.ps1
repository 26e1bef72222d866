# azd prepackage hook (Windows): the same steps as package.sh. Stages dist/package with a production
# install for linux/x64/glibc (sharp's Linux binaries) and nothing from devhost/, bench/ or test/.
$ErrorActionPreference = 'Stop'
$root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$out = Join-Path $root 'dist/package'

Push-Location $root
try {
  npm run build
  if ($LASTEXITCODE -ne 0) { throw 'package: npm run build failed' }

  if (Test-Path $out) { Remove-Item -Recurse -Force $out }
  New-Item -ItemType Directory -Force -Path (Join-Path $out 'dist') | Out-Null
  Copy-Item host.json, package-lock.json -Destination $out
  Copy-Item -Recurse (Join-Path $root 'dist/src') (Join-Path $out 'dist/src')
  # The upload page and the console, served by the app itself (GET /api/site/{*path}).
  Copy-Item -Recurse (Join-Path $root 'site') (Join-Path $out 'site')
  Get-ChildItem -Path (Join-Path $out 'dist') -Recurse -Filter '*.map' | Remove-Item -Force
  # Production dependencies only, pinned by package-lock.json (see package.sh).
  $manifest = Get-Content package.json -Raw | ConvertFrom-Json
  $manifest.PSObject.Properties.Remove('devDependencies')
  $manifest.PSObject.Properties.Remove('scripts')
  $manifest | ConvertTo-Json -Depth 10 | Set-Content -Encoding utf8NoBOM (Join-Path $out 'package.json')
} finally {
  Pop-Location
}

Push-Location $out
try {
  npm install --omit=dev --os=linux --cpu=x64 --libc=glibc --ignore-scripts --no-audit --no-fund
  if ($LASTEXITCODE -ne 0) { throw 'package: npm install for linux/x64 failed' }
  foreach ($required in 'dist/src/index.js', 'site/index.html', 'node_modules/thumbhash/thumbhash.js', 'node_modules/@img/sharp-linux-x64', 'node_modules/@img/sharp-libvips-linux-x64') {
    if (-not (Test-Path $required)) { throw "package: $required is missing from $out; the deployment would not start" }
  }
} finally {
  Pop-Location
}
Write-Host "package: staged $out"
