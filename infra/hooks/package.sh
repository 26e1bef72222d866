#!/bin/sh
# azd prepackage hook: stages exactly what runs in Azure into dist/package (azure.yaml `dist`), which azd
# zips as is. A production install for linux/x64/glibc gives Flex Consumption sharp's Linux binaries
# whatever OS this runs on; the staging copy leaves out packages/ (the local host), bench/, test/ and every
# devDependency by construction (azd does not consult the root .funcignore for a `dist` folder).
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
# PACKAGE_OUTPUT_DIR and PACKAGE_SKIP_BUILD=1 let test/infra/package.test.ts stage the existing build elsewhere.
out="${PACKAGE_OUTPUT_DIR:-$root/dist/package}"

cd "$root"
if [ "${PACKAGE_SKIP_BUILD:-}" != 1 ]; then
  npm run build
fi

rm -rf "$out"
mkdir -p "$out/dist"
cp host.json package-lock.json "$out/"
cp -R dist/src "$out/dist/src"
# The upload page and the console, served by the app itself (GET /api/site/{*path}).
cp -R site "$out/site"
find "$out/dist" -name '*.map' -type f -exec rm -f {} +
# A manifest with production dependencies only and no workspaces (the local host stays out): npm then
# resolves nothing but those, at the versions package-lock.json pins (npm ci would also insist on every
# platform's optional packages of devDependencies).
node -e "
  const fs = require('fs');
  const { devDependencies, scripts, workspaces, ...production } = JSON.parse(fs.readFileSync('package.json', 'utf8'));
  fs.writeFileSync(process.argv[1], JSON.stringify(production, null, 2) + '\n');
" "$out/package.json"

cd "$out"
# --ignore-scripts: no production dependency needs an install script (sharp ships prebuilt binaries as
# optional @img/* packages, chosen by --os/--cpu/--libc instead of by this machine).
npm install --omit=dev --os=linux --cpu=x64 --libc=glibc --ignore-scripts --no-audit --no-fund

for required in dist/src/index.js site/index.html node_modules/thumbhash/thumbhash.js node_modules/@img/sharp-linux-x64 node_modules/@img/sharp-libvips-linux-x64; do
  if [ ! -e "$required" ]; then
    echo "package: $required is missing from $out; the deployment would not start" >&2
    exit 1
  fi
done
echo "package: staged $(du -sh "$out" | cut -f1) in $out"
