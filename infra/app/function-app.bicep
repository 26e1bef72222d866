// Flex Consumption plan + Linux function app. Every connection is identity-based through the one
// user-assigned identity; the app settings carry endpoints and the identity's client id, never a secret.
param planName string
param functionAppName string
param location string
param tags object
param identityId string
param identityClientId string
param hostStorageAccountName string
param deploymentContainerName string
param imagesStorageAccountName string
param derivativesStorageAccountName string
param cosmosAccountName string
param applicationInsightsName string
param unprocessedContainerName string
param processedContainerName string
param scratchContainerName string
@description('Base URL of every derivative: DERIVATIVE_BASE_URL + \'/\' + blob name is what a browser loads.')
param derivativeBaseUrl string
param cosmosDatabaseName string
param cosmosContainerName string

@allowed(['20', '22'])
param nodeVersion string
@allowed([512, 2048, 4096])
param instanceMemoryMB int
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int
@description('IMAGE_SIZES: a JSON array of {label, width, height}; empty means the built-in sizes.')
param imageSizes string
param maxSourceBytes int
param maxSourcePixels int
@minValue(0)
param replacedDerivativesGraceSeconds int
@allowed(['scheduler', 'storage'])
param durableBackend string
@description('Durable Task Scheduler endpoint (https://…durabletask.io) and task hub; ignored with durableBackend storage.')
param durableSchedulerEndpoint string
param durableTaskHubName string
@description('Application (client) id of the Entra app registration for App Service authentication; empty leaves authentication off.')
param authClientId string

resource hostStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: hostStorageAccountName
}

resource imagesStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: imagesStorageAccountName
}

resource derivativesStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: derivativesStorageAccountName
}

resource cosmos 'Microsoft.DocumentDB/databaseAccounts@2024-11-15' existing = {
  name: cosmosAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { tier: 'FlexConsumption', name: 'FC1' }
  properties: { reserved: true }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: functionAppName
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${hostStorage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: { name: 'node', version: nodeVersion }
    }
  }
}

// Flex Consumption takes the runtime from functionAppConfig: FUNCTIONS_WORKER_RUNTIME,
// FUNCTIONS_EXTENSION_VERSION and WEBSITE_RUN_FROM_PACKAGE must not be set here.
var baseSettings = {
  // Functions host storage: deployment package, host keys and leases (and the Durable task hub with
  // durableBackend storage).
  AzureWebJobsStorage__blobServiceUri: hostStorage.properties.primaryEndpoints.blob
  AzureWebJobsStorage__queueServiceUri: hostStorage.properties.primaryEndpoints.queue
  AzureWebJobsStorage__tableServiceUri: hostStorage.properties.primaryEndpoints.table
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  // Sources (UNPROCESSED_CONTAINER) and the decode-once scratch space (SCRATCH_CONTAINER).
  IMAGES_STORAGE__blobServiceUri: imagesStorage.properties.primaryEndpoints.blob
  IMAGES_STORAGE__credential: 'managedidentity'
  IMAGES_STORAGE__clientId: identityClientId
  UNPROCESSED_CONTAINER: unprocessedContainerName
  SCRATCH_CONTAINER: scratchContainerName
  // Derivatives (PROCESSED_CONTAINER) live on their own account, the only one with anonymous reads.
  DERIVATIVES_STORAGE__blobServiceUri: derivativesStorage.properties.primaryEndpoints.blob
  DERIVATIVES_STORAGE__credential: 'managedidentity'
  DERIVATIVES_STORAGE__clientId: identityClientId
  PROCESSED_CONTAINER: processedContainerName
  DERIVATIVE_BASE_URL: derivativeBaseUrl
  REPLACED_DERIVATIVES_GRACE_SECONDS: string(replacedDerivativesGraceSeconds)
  // Cosmos DB: local auth is disabled on the account, so there is no key to set.
  COSMOS__accountEndpoint: cosmos.properties.documentEndpoint
  COSMOS__credential: 'managedidentity'
  COSMOS__clientId: identityClientId
  COSMOS_DATABASE: cosmosDatabaseName
  COSMOS_CONTAINER: cosmosContainerName
  IMAGE_SIZES: imageSizes
  MAX_SOURCE_BYTES: string(maxSourceBytes)
  MAX_SOURCE_PIXELS: string(maxSourcePixels)
  // The App Insights connection string names the resource and its ingestion endpoint; it is not a
  // credential here because the component has local auth disabled and only accepts Entra tokens.
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
}

// host.json keeps the Azure Storage provider (the local host's engine); in Azure these settings
// override it (AzureFunctionsJobHost__<path> overrides host.json) to select the Durable Task Scheduler.
// The "connection string" names an endpoint and the identity to use; it holds no secret.
var schedulerSettings = {
  DURABLE_TASK_SCHEDULER_CONNECTION_STRING: 'Endpoint=${durableSchedulerEndpoint};Authentication=ManagedIdentity;ClientID=${identityClientId}'
  TASKHUB_NAME: durableTaskHubName
  AzureFunctionsJobHost__extensions__durableTask__hubName: durableTaskHubName
  AzureFunctionsJobHost__extensions__durableTask__storageProvider__type: 'azureManaged'
  AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName: 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING'
}

// App Service authentication signs in with the app registration, which trusts this identity through a
// federated credential instead of a client secret.
var authSettings = {
  OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID: identityClientId
  WEBSITE_AUTH_AAD_ALLOWED_TENANTS: tenant().tenantId
}

var useScheduler = durableBackend == 'scheduler'
var useAuth = !empty(authClientId)

resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: functionApp
  name: 'appsettings'
  properties: union(baseSettings, useScheduler ? schedulerSettings : {}, useAuth ? authSettings : {})
}

// Easy Auth in front of every route, deciding nothing by itself (AllowAnonymous): the Event Grid webhook,
// the site's static pages and GET /api/images must stay reachable, so the functions decide from the
// x-ms-client-principal header it injects (and strips from client requests): uploads need a signed-in
// user (401), the operator console and its APIs the app role ImageOperator (403). No token store: it
// would need a SAS-bearing blob URL; the session cookie is enough.
resource authentication 'Microsoft.Web/sites/config@2024-04-01' = if (useAuth) {
  parent: functionApp
  name: 'authsettingsV2'
  properties: {
    platform: { enabled: true, runtimeVersion: '~1' }
    globalValidation: {
      requireAuthentication: false
      unauthenticatedClientAction: 'AllowAnonymous'
    }
    httpSettings: { requireHttps: true }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
          clientId: authClientId
          clientSecretSettingName: 'OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID'
        }
        validation: { allowedAudiences: ['api://${authClientId}', authClientId] }
      }
    }
    login: { tokenStore: { enabled: false } }
  }
  // The client-assertion setting must exist before authentication starts using it.
  dependsOn: [appSettings]
}

// No publishing with basic (user/password) credentials: azd deploys with an Entra token.
resource ftpPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'ftp'
  properties: { allow: false }
}

resource scmPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'scm'
  properties: { allow: false }
}

output name string = functionApp.name
output defaultHostName string = functionApp.properties.defaultHostName
