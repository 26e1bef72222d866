// Every role the app's identity holds, each at the narrowest scope that works, plus optional matching
// roles for the deploying user so they can upload and run the app locally against Azure.
param identityPrincipalId string
param hostStorageAccountName string
param imagesStorageAccountName string
param derivativesStorageAccountName string
param unprocessedContainerName string
param processedContainerName string
param scratchContainerName string
param deadLetterContainerName string
@allowed(['scheduler', 'storage'])
@description('Durable backend: the Durable Task Scheduler, or task-hub queues and tables in the host account.')
param durableBackend string
@description('Durable Task Scheduler and task hub names; ignored with durableBackend storage.')
param schedulerName string
param taskHubName string
param cosmosAccountName string
param cosmosDatabaseName string
param applicationInsightsName string
@description('Object id of the deploying user or CI principal; empty for none.')
param principalId string = ''
@allowed(['User', 'ServicePrincipal'])
param principalType string = 'User'

// Built-in role definition ids (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles).
// Storage Blob Data Owner
var storageBlobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
// Storage Blob Data Contributor
var storageBlobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
// Storage Queue Data Contributor
var storageQueueDataContributor = '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
// Storage Table Data Contributor
var storageTableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
// Monitoring Metrics Publisher
var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb'
// Storage Blob Delegator
var storageBlobDelegator = 'db58b8e5-c6ad-4a2a-8342-4190687cbf4a'
// Durable Task Data Contributor (Integration category; the id Azure-Samples/Durable-Task-Scheduler assigns)
var durableTaskDataContributor = '0ad04412-c4d5-4796-b79c-f76d14c8d402'
// Cosmos DB Built-in Data Contributor (a Cosmos DB data-plane role, not an Azure RBAC role)
var cosmosDbBuiltInDataContributor = '00000000-0000-0000-0000-000000000002'

resource hostStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: hostStorageAccountName
}

resource imagesStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: imagesStorageAccountName
}

resource imagesBlobs 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: imagesStorage
  name: 'default'
}

resource unprocessedContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: imagesBlobs
  name: unprocessedContainerName
}

resource scratchContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: imagesBlobs
  name: scratchContainerName
}

resource deadLetterContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: imagesBlobs
  name: deadLetterContainerName
}

resource derivativesStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: derivativesStorageAccountName
}

resource derivativesBlobs 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: derivativesStorage
  name: 'default'
}

resource processedContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: derivativesBlobs
  name: processedContainerName
}

resource scheduler 'Microsoft.DurableTask/schedulers@2025-11-01' existing = if (useScheduler) {
  name: schedulerName
}

resource taskHub 'Microsoft.DurableTask/schedulers/taskHubs@2025-11-01' existing = if (useScheduler) {
  parent: scheduler
  name: taskHubName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource cosmos 'Microsoft.DocumentDB/databaseAccounts@2024-11-15' existing = {
  name: cosmosAccountName
}

var cosmosDataContributorRoleId = '${cosmos.id}/sqlRoleDefinitions/${cosmosDbBuiltInDataContributor}'
var cosmosDatabaseScope = '${cosmos.id}/dbs/${cosmosDatabaseName}'
var withUser = !empty(principalId)
var useScheduler = durableBackend == 'scheduler'
var useStorageBackend = durableBackend == 'storage'

// --- The app's identity ---------------------------------------------------------------------------

// Host storage: Flex Consumption reads the deployment package and Durable Functions keeps leases and
// large messages in blobs; Owner (not Contributor) because the host manages containers and leases there.
resource appHostBlobs 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: hostStorage
  name: guid(hostStorage.id, identityPrincipalId, storageBlobDataOwner)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataOwner)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Durable Functions task hub on Azure Storage: control and work-item queues (not needed with the scheduler).
resource appHostQueues 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (useStorageBackend) {
  scope: hostStorage
  name: guid(hostStorage.id, identityPrincipalId, storageQueueDataContributor)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageQueueDataContributor)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Durable Functions task hub on Azure Storage: instance and history tables (not needed with the scheduler).
resource appHostTables 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (useStorageBackend) {
  scope: hostStorage
  name: guid(hostStorage.id, identityPrincipalId, storageTableDataContributor)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageTableDataContributor)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Sources: read by the activities (If-Match the event's eTag) and written by browsers through a
// user-delegation SAS this identity signs. Such a SAS grants at most what its signer holds, so the
// signer needs write on this container (the SAS itself stays create-only). Owner, not Contributor:
// the writer tags refused sources (blob index tag outcome=refused) for the lifecycle rule that deletes
// them, and Owner is the only built-in data role with blobs/tags/write. On an account without a
// hierarchical namespace it adds nothing else over Contributor. The app never deletes a source itself.
resource appSignsUploadsToUnprocessed 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: unprocessedContainer
  name: guid(unprocessedContainer.id, identityPrincipalId, storageBlobDataOwner)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataOwner)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Get User Delegation Key is an account-level operation, so this role cannot be scoped to a container;
// it grants no data access by itself.
resource appGetsUserDelegationKey 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: imagesStorage
  name: guid(imagesStorage.id, identityPrincipalId, storageBlobDelegator)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDelegator)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// The decode-once intermediate: written, read and deleted by the activities (private container,
// lifecycle-expired after a day as a safety net).
resource appUsesScratch 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: scratchContainer
  name: guid(scratchContainer.id, identityPrincipalId, storageBlobDataContributor)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Derivatives (on their own account): written once per version, deleted when replaced or when the
// source is deleted.
resource appWritesProcessed 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: processedContainer
  name: guid(processedContainer.id, identityPrincipalId, storageBlobDataContributor)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Event Grid's system topic uses the same identity to write undeliverable events here.
resource topicWritesDeadLetters 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: deadLetterContainer
  name: guid(deadLetterContainer.id, identityPrincipalId, storageBlobDataContributor)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Telemetry ingestion with an Entra token (the component has local auth disabled).
resource appPublishesTelemetry 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: applicationInsights
  name: guid(applicationInsights.id, identityPrincipalId, monitoringMetricsPublisher)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Read and write image documents in the one database (a data-plane role; scope is the database).
resource appCosmosData 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-11-15' = {
  parent: cosmos
  name: guid(cosmosDatabaseScope, identityPrincipalId, cosmosDataContributorRoleId)
  properties: {
    roleDefinitionId: cosmosDataContributorRoleId
    principalId: identityPrincipalId
    scope: cosmosDatabaseScope
  }
}

// Orchestrations, activities and the status/backfill clients on the Durable Task Scheduler; scoped to
// the one task hub, not the scheduler.
resource appDurableTaskHub 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (useScheduler) {
  scope: taskHub
  name: guid(taskHub.id, identityPrincipalId, durableTaskDataContributor)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', durableTaskDataContributor)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// --- The deploying user (optional) ----------------------------------------------------------------

// Upload sources (`az storage blob upload --auth-mode login`) and run the app locally against Azure.
resource userWritesUnprocessed 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (withUser) {
  scope: unprocessedContainer
  name: guid(unprocessedContainer.id, principalId, storageBlobDataContributor)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
    principalId: principalId
    principalType: principalType
  }
}

// Inspect derivatives, and write them when running the app locally against Azure.
resource userWritesProcessed 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (withUser) {
  scope: processedContainer
  name: guid(processedContainer.id, principalId, storageBlobDataContributor)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
    principalId: principalId
    principalType: principalType
  }
}

// The Durable Task Scheduler dashboard for this task hub.
resource userDurableTaskHub 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (withUser && useScheduler) {
  scope: taskHub
  name: guid(taskHub.id, principalId, durableTaskDataContributor)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', durableTaskDataContributor)
    principalId: principalId
    principalType: principalType
  }
}

// Read image documents (Data Explorer, `npm run status` against Azure).
resource userCosmosData 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-11-15' = if (withUser) {
  parent: cosmos
  name: guid(cosmosDatabaseScope, principalId, cosmosDataContributorRoleId)
  properties: {
    roleDefinitionId: cosmosDataContributorRoleId
    principalId: principalId
    scope: cosmosDatabaseScope
  }
  // Cosmos DB applies role assignments on one account one at a time; a parallel write fails.
  dependsOn: [appCosmosData]
}
