// azd entry point: one resource group with the image-derivative pipeline on Flex Consumption,
// keyless end to end (one user-assigned identity, Entra-only storage, Cosmos DB and App Insights).
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; names the resource group and seeds resource names.')
param environmentName string

@minLength(1)
@description('Region for every resource (must offer Flex Consumption).')
param location string

@description('Object id of the deploying user (set by azd); empty to skip their role assignments.')
param principalId string = ''

@allowed(['User', 'ServicePrincipal'])
param principalType string = 'User'

@allowed(['20', '22'])
@description('Node.js major version on Flex Consumption.')
param nodeVersion string = '22'

@allowed([512, 2048, 4096])
@description('Memory per instance; sharp decodes up to MAX_SOURCE_PIXELS per concurrent activity.')
param instanceMemoryMB int = 2048

@minValue(1)
@maxValue(1000)
@description('Upper bound on scale-out (cost and Cosmos DB request-rate guard).')
param maximumInstanceCount int = 100

@description('IMAGE_SIZES app setting: JSON array of {label, width, height}; empty for the built-in sizes.')
param imageSizes string = ''

@description('RETIRED_SIZES app setting: comma-separated labels removed from IMAGE_SIZES whose activities stay registered; empty for none.')
param retiredSizes string = ''

@description('REDRIVE_DELAYS_SECONDS app setting: comma-separated waits before each re-drive; empty for the built-in 300,900,2400.')
param redriveDelaysSeconds string = ''

@minValue(1)
param maxSourceBytes int = 52428800

@minValue(1)
param maxSourcePixels int = 50000000

@minValue(0)
@description('REPLACED_DERIVATIVES_GRACE_SECONDS: how long a replaced version\'s derivatives stay loadable.')
param replacedDerivativesGraceSeconds int = 900

@allowed(['scheduler', 'storage'])
@description('Durable Functions backend in Azure: the Durable Task Scheduler, or Azure Storage queues and tables in the host account.')
param durableBackend string = 'scheduler'

@allowed(['Consumption', 'Dedicated'])
@description('Durable Task Scheduler SKU (durableBackend scheduler).')
param durableSchedulerSku string = 'Consumption'

@allowed(['frontdoor', 'none'])
@description('Derivative delivery: through Azure Front Door Standard (edge cache), or straight from the derivatives account.')
param deliveryCdn string = 'frontdoor'

@description('Application (client) id of the Entra app registration for sign-in (see README, "Sign-in"); empty leaves App Service authentication off, and uploads and the console then refuse every caller.')
param authClientId string = ''

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var functionAppName = '${abbrs.webSitesFunctions}${resourceToken}'
// The site and its upload page are served by the function app itself, from its default hostname.
var siteOrigin = 'https://${functionAppName}.azurewebsites.net'

// Names the code and docs/design.md fix (src/config/settings.ts defaults).
var unprocessedContainerName = 'images-unprocessed'
var processedContainerName = 'images-processed'
var scratchContainerName = 'images-scratch'
var deadLetterContainerName = 'eventgrid-deadletter'
var deploymentContainerName = 'deployment-package'
var cosmosDatabaseName = 'MediaCorp'
var cosmosContainerName = 'Images'
var durableTaskHubName = 'imagederivatives'
var useScheduler = durableBackend == 'scheduler'
var useFrontDoor = deliveryCdn == 'frontdoor'

// Browsers PUT sources straight to Blob Storage with a user-delegation SAS from POST /api/uploads.
var uploadCorsRules = [
  {
    allowedOrigins: [siteOrigin]
    allowedMethods: ['PUT', 'OPTIONS']
    allowedHeaders: ['content-type', 'x-ms-blob-type', 'x-ms-*']
    // The upload page reads x-ms-error-code to say why storage refused a PUT.
    exposedHeaders: ['etag', 'x-ms-request-id', 'x-ms-error-code']
    maxAgeInSeconds: 3600
  }
]

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    applicationInsightsName: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: tags
  }
}

// Host storage (deployment package + Durable task hub) is a separate account from the images: the
// host's broad Blob Data Owner role then covers no user content, host churn raises no BlobCreated
// events on the images topic, and images can get their own retention without touching the host.
module hostStorage 'app/storage.bicep' = {
  name: 'host-storage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}${resourceToken}'
    location: location
    tags: tags
    containers: [deploymentContainerName]
  }
}

// Sources stay on an account with no anonymous access at all; browsers upload to it with a SAS.
module imagesStorage 'app/storage.bicep' = {
  name: 'images-storage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}img${resourceToken}'
    location: location
    tags: tags
    containers: [unprocessedContainerName, scratchContainerName, deadLetterContainerName]
    corsRules: uploadCorsRules
    expiringContainers: [scratchContainerName]
    refusedSourceContainers: [unprocessedContainerName]
  }
}

// Derivatives only: the one account where anonymous reads by exact blob name are allowed (see
// docs/design.md, "Delivery (Azure)").
module derivativesStorage 'app/storage.bicep' = {
  name: 'derivatives-storage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}drv${resourceToken}'
    location: location
    tags: tags
    publicReadContainers: [processedContainerName]
  }
}

module delivery 'app/frontdoor.bicep' = if (useFrontDoor) {
  name: 'delivery'
  scope: rg
  params: {
    profileName: '${abbrs.cdnProfiles}${resourceToken}'
    endpointName: '${abbrs.cdnProfilesEndpoints}${resourceToken}'
    tags: tags
    originHostName: '${derivativesStorage.outputs.name}.blob.${environment().suffixes.storage}'
    containerName: processedContainerName
  }
}

// What DERIVATIVE_BASE_URL + '/' + blob name loads in a browser: the Front Door endpoint, or the blob endpoint.
var derivativeBaseUrl = useFrontDoor ? delivery.outputs.baseUrl : '${derivativesStorage.outputs.blobEndpoint}${processedContainerName}'

module durableScheduler 'app/durable-scheduler.bicep' = if (useScheduler) {
  name: 'durable-scheduler'
  scope: rg
  params: {
    name: '${abbrs.durableTaskSchedulers}${resourceToken}'
    location: location
    tags: tags
    taskHubName: durableTaskHubName
    skuName: durableSchedulerSku
  }
}

module cosmos 'app/cosmos.bicep' = {
  name: 'cosmos'
  scope: rg
  params: {
    name: '${abbrs.documentDBDatabaseAccounts}${resourceToken}'
    location: location
    tags: tags
    databaseName: cosmosDatabaseName
    containerName: cosmosContainerName
  }
}

module eventGridTopic 'app/eventgrid-topic.bicep' = {
  name: 'eventgrid-topic'
  scope: rg
  params: {
    name: '${abbrs.eventGridSystemTopics}${resourceToken}'
    location: location
    tags: tags
    storageAccountName: imagesStorage.outputs.name
    identityId: identity.outputs.id
  }
}

module roles 'app/roles.bicep' = {
  name: 'roles'
  scope: rg
  params: {
    identityPrincipalId: identity.outputs.principalId
    hostStorageAccountName: hostStorage.outputs.name
    imagesStorageAccountName: imagesStorage.outputs.name
    derivativesStorageAccountName: derivativesStorage.outputs.name
    unprocessedContainerName: unprocessedContainerName
    processedContainerName: processedContainerName
    scratchContainerName: scratchContainerName
    deadLetterContainerName: deadLetterContainerName
    durableBackend: durableBackend
    schedulerName: useScheduler ? durableScheduler.outputs.name : ''
    taskHubName: durableTaskHubName
    cosmosAccountName: cosmos.outputs.name
    cosmosDatabaseName: cosmosDatabaseName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    principalId: principalId
    principalType: principalType
  }
}

module functionApp 'app/function-app.bicep' = {
  name: 'function-app'
  scope: rg
  params: {
    planName: '${abbrs.webServerFarms}${resourceToken}'
    functionAppName: functionAppName
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    hostStorageAccountName: hostStorage.outputs.name
    deploymentContainerName: deploymentContainerName
    imagesStorageAccountName: imagesStorage.outputs.name
    derivativesStorageAccountName: derivativesStorage.outputs.name
    cosmosAccountName: cosmos.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    unprocessedContainerName: unprocessedContainerName
    processedContainerName: processedContainerName
    scratchContainerName: scratchContainerName
    derivativeBaseUrl: derivativeBaseUrl
    cosmosDatabaseName: cosmosDatabaseName
    cosmosContainerName: cosmosContainerName
    nodeVersion: nodeVersion
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    imageSizes: imageSizes
    retiredSizes: retiredSizes
    redriveDelaysSeconds: redriveDelaysSeconds
    maxSourceBytes: maxSourceBytes
    maxSourcePixels: maxSourcePixels
    replacedDerivativesGraceSeconds: replacedDerivativesGraceSeconds
    durableBackend: durableBackend
    durableSchedulerEndpoint: useScheduler ? durableScheduler.outputs.endpoint : ''
    durableTaskHubName: durableTaskHubName
    authClientId: authClientId
  }
  // Start the app only once its identity holds its roles (the first cold start then finds them).
  dependsOn: [roles]
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output SERVICE_API_NAME string = functionApp.outputs.name
output SERVICE_API_URI string = 'https://${functionApp.outputs.defaultHostName}'
output SITE_URL string = siteOrigin
output DERIVATIVE_BASE_URL string = derivativeBaseUrl
output AZURE_MANAGED_IDENTITY_NAME string = identity.outputs.name
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output HOST_STORAGE_ACCOUNT_NAME string = hostStorage.outputs.name
output IMAGES_STORAGE_ACCOUNT_NAME string = imagesStorage.outputs.name
output DERIVATIVES_STORAGE_ACCOUNT_NAME string = derivativesStorage.outputs.name
output UNPROCESSED_CONTAINER string = unprocessedContainerName
output PROCESSED_CONTAINER string = processedContainerName
output SCRATCH_CONTAINER string = scratchContainerName
output DEAD_LETTER_CONTAINER string = deadLetterContainerName
output EVENTGRID_SYSTEM_TOPIC_NAME string = eventGridTopic.outputs.name
output COSMOS_ACCOUNT_NAME string = cosmos.outputs.name
output COSMOS_ENDPOINT string = cosmos.outputs.endpoint
output COSMOS_DATABASE string = cosmosDatabaseName
output COSMOS_CONTAINER string = cosmosContainerName
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
output DURABLE_BACKEND string = durableBackend
output DURABLE_TASK_SCHEDULER_NAME string = useScheduler ? durableScheduler.outputs.name : ''
output DURABLE_TASK_SCHEDULER_ENDPOINT string = useScheduler ? durableScheduler.outputs.endpoint : ''
output TASKHUB_NAME string = durableTaskHubName
output AUTH_CLIENT_ID string = authClientId
