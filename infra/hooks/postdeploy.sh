#!/bin/sh
# azd postdeploy hook: creates or updates the Event Grid subscription (infra/app/event-subscription.bicep).
# It runs after the code is deployed because the webhook URL needs the host's `eventgrid_extension`
# system key, which the host creates when it first starts with the Event Grid trigger loaded.
# Needs the Azure CLI signed in (`az login`) as a principal that may list the app's keys and deploy to
# the resource group. azd exports the environment's values (main.bicep outputs) to this script.
set -eu

fail() {
  echo "postdeploy: $*" >&2
  exit 1
}

command -v az >/dev/null 2>&1 || fail "the Azure CLI (az) is required: https://learn.microsoft.com/cli/azure/install-azure-cli"
for name in AZURE_SUBSCRIPTION_ID AZURE_RESOURCE_GROUP AZURE_FUNCTION_APP_NAME EVENTGRID_SYSTEM_TOPIC_NAME \
  IMAGES_STORAGE_ACCOUNT_NAME UNPROCESSED_CONTAINER DEAD_LETTER_CONTAINER AZURE_MANAGED_IDENTITY_NAME; do
  eval "value=\${$name:-}"
  [ -n "$value" ] || fail "$name is not set; run 'azd provision' first"
done

root=$(cd "$(dirname "$0")/../.." && pwd)
sub=$AZURE_SUBSCRIPTION_ID
rg=$AZURE_RESOURCE_GROUP
app=$AZURE_FUNCTION_APP_NAME

# Wake an instance (Flex Consumption scales to zero) so the host starts and writes its system keys.
host=$(az functionapp show --subscription "$sub" -g "$rg" -n "$app" --query defaultHostName -o tsv)
if command -v curl >/dev/null 2>&1; then
  curl -s -o /dev/null --max-time 60 "https://$host/" || true
fi

key=""
attempt=1
while [ "$attempt" -le 30 ]; do
  key=$(az functionapp keys list --subscription "$sub" -g "$rg" -n "$app" \
    --query "systemKeys.eventgrid_extension" -o tsv 2>/dev/null || true)
  [ -n "$key" ] && break
  echo "postdeploy: waiting for the eventgrid_extension system key ($attempt/30)..."
  sleep 10
  attempt=$((attempt + 1))
done
[ -n "$key" ] || fail "no eventgrid_extension system key on $app after 5 minutes; is onImageUploaded deployed? Check 'az functionapp function list -g $rg -n $app'"

# The key goes to the deployment in a file readable only by this user, never on a command line.
umask 077
params=$(mktemp)
trap 'rm -f "$params"' EXIT INT TERM
cat >"$params" <<JSON
{
  "systemTopicName": { "value": "$EVENTGRID_SYSTEM_TOPIC_NAME" },
  "functionAppName": { "value": "$app" },
  "eventGridExtensionKey": { "value": "$key" },
  "imagesStorageAccountName": { "value": "$IMAGES_STORAGE_ACCOUNT_NAME" },
  "unprocessedContainerName": { "value": "$UNPROCESSED_CONTAINER" },
  "deadLetterContainerName": { "value": "$DEAD_LETTER_CONTAINER" },
  "identityName": { "value": "$AZURE_MANAGED_IDENTITY_NAME" }
}
JSON

# Event Grid validates the webhook while creating the subscription; a host still warming up can miss
# that handshake, so try a few times.
attempt=1
until az deployment group create --subscription "$sub" -g "$rg" --name eventgrid-subscription \
  --template-file "$root/infra/app/event-subscription.bicep" --parameters "@$params" \
  --only-show-errors -o none; do
  [ "$attempt" -lt 3 ] || fail "could not create the Event Grid subscription (see the error above)"
  echo "postdeploy: retrying the subscription in 30 s (attempt $attempt/3 failed)..."
  attempt=$((attempt + 1))
  sleep 30
done
echo "postdeploy: Event Grid subscription on $EVENTGRID_SYSTEM_TOPIC_NAME delivers BlobCreated and BlobDeleted in $UNPROCESSED_CONTAINER to onImageUploaded"
