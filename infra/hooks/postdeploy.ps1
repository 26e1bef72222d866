# azd postdeploy hook (Windows): the same steps as postdeploy.sh. Creates or updates the Event Grid
# subscription once the deployed host has its `eventgrid_extension` system key.
$ErrorActionPreference = 'Stop'

if (-not (Get-Command az -ErrorAction SilentlyContinue)) {
  throw 'postdeploy: the Azure CLI (az) is required: https://learn.microsoft.com/cli/azure/install-azure-cli'
}
$required = 'AZURE_SUBSCRIPTION_ID', 'AZURE_RESOURCE_GROUP', 'AZURE_FUNCTION_APP_NAME', 'EVENTGRID_SYSTEM_TOPIC_NAME',
  'IMAGES_STORAGE_ACCOUNT_NAME', 'UNPROCESSED_CONTAINER', 'DEAD_LETTER_CONTAINER', 'AZURE_MANAGED_IDENTITY_NAME'
foreach ($name in $required) {
  if (-not [Environment]::GetEnvironmentVariable($name)) { throw "postdeploy: $name is not set; run 'azd provision' first" }
}
$root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$sub = $env:AZURE_SUBSCRIPTION_ID
$rg = $env:AZURE_RESOURCE_GROUP
$app = $env:AZURE_FUNCTION_APP_NAME

# Wake an instance (Flex Consumption scales to zero) so the host starts and writes its system keys.
$hostName = az functionapp show --subscription $sub -g $rg -n $app --query defaultHostName -o tsv
try { Invoke-WebRequest -Uri "https://$hostName/" -TimeoutSec 60 -UseBasicParsing | Out-Null } catch { }

$key = ''
for ($attempt = 1; $attempt -le 30 -and -not $key; $attempt++) {
  $key = az functionapp keys list --subscription $sub -g $rg -n $app --query 'systemKeys.eventgrid_extension' -o tsv 2>$null
  if (-not $key) {
    Write-Host "postdeploy: waiting for the eventgrid_extension system key ($attempt/30)..."
    Start-Sleep -Seconds 10
  }
}
if (-not $key) { throw "postdeploy: no eventgrid_extension system key on $app after 5 minutes; is onImageUploaded deployed?" }

# The key goes to the deployment in a temporary file, never on a command line.
$params = New-TemporaryFile
try {
  @{
    systemTopicName          = @{ value = $env:EVENTGRID_SYSTEM_TOPIC_NAME }
    functionAppName          = @{ value = $app }
    eventGridExtensionKey    = @{ value = $key }
    imagesStorageAccountName = @{ value = $env:IMAGES_STORAGE_ACCOUNT_NAME }
    unprocessedContainerName = @{ value = $env:UNPROCESSED_CONTAINER }
    deadLetterContainerName  = @{ value = $env:DEAD_LETTER_CONTAINER }
    identityName             = @{ value = $env:AZURE_MANAGED_IDENTITY_NAME }
  } | ConvertTo-Json -Depth 3 | Set-Content -Path $params

  # Event Grid validates the webhook while creating the subscription; a warming host can miss it.
  for ($attempt = 1; ; $attempt++) {
    az deployment group create --subscription $sub -g $rg --name eventgrid-subscription `
      --template-file (Join-Path $root 'infra/app/event-subscription.bicep') --parameters "@$params" `
      --only-show-errors -o none
    if ($LASTEXITCODE -eq 0) { break }
    if ($attempt -ge 3) { throw 'postdeploy: could not create the Event Grid subscription (see the error above)' }
    Write-Host "postdeploy: retrying the subscription in 30 s (attempt $attempt/3 failed)..."
    Start-Sleep -Seconds 30
  }
} finally {
  Remove-Item -Force $params
}
Write-Host "postdeploy: Event Grid subscription on $($env:EVENTGRID_SYSTEM_TOPIC_NAME) delivers BlobCreated and BlobDeleted in $($env:UNPROCESSED_CONTAINER) to onImageUploaded"
