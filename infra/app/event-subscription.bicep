// The Event Grid subscription that turns source uploads and deletes into `onImageUploaded` invocations.
// Deployed by infra/hooks/postdeploy.* after the code (not by `azd provision`), because the webhook needs
// the host's `eventgrid_extension` system key, which exists only once the deployed app has started.
targetScope = 'resourceGroup'

param systemTopicName string
param functionAppName string
@secure()
@description('The function host\'s eventgrid_extension system key.')
param eventGridExtensionKey string
param imagesStorageAccountName string
param unprocessedContainerName string = 'images-unprocessed'
param deadLetterContainerName string = 'eventgrid-deadletter'
param identityName string
param subscriptionName string = 'images-unprocessed-to-function'

// The Event Grid trigger's function name (src/activities/names.ts EVENT_TRIGGER_NAME).
var functionName = 'onImageUploaded'
// Only these APIs create or replace a blob's content (docs/design.md); the trigger checks again.
var blobWritingApis = ['PutBlob', 'PutBlockList', 'CopyBlob', 'FlushWithClose']
// The API of a source's BlobDeleted event: its document and every derivative are then deleted.
var blobDeletingApis = ['DeleteBlob']

resource systemTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' existing = {
  name: systemTopicName
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource imagesStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: imagesStorageAccountName
}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: identityName
}

resource sourceEventsSubscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = {
  parent: systemTopic
  name: subscriptionName
  properties: {
    destination: {
      endpointType: 'WebHook'
      properties: {
        // Event Grid stores this URL write-only (reads return endpointBaseUrl without the key).
        endpointUrl: 'https://${functionApp.properties.defaultHostName}/runtime/webhooks/eventgrid?functionName=${functionName}&code=${eventGridExtensionKey}'
        maxEventsPerBatch: 1
      }
    }
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: ['Microsoft.Storage.BlobCreated', 'Microsoft.Storage.BlobDeleted']
      subjectBeginsWith: '/blobServices/default/containers/${unprocessedContainerName}/'
      advancedFilters: [
        {
          operatorType: 'StringIn'
          key: 'data.api'
          // Advanced filters apply to every included event type, so the delete API is listed too.
          values: concat(blobWritingApis, blobDeletingApis)
        }
      ]
    }
    // A cold start or a deployment can make the webhook briefly unavailable: retry for a day, then
    // keep the event in the dead-letter container rather than drop it.
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
    deadLetterWithResourceIdentity: {
      identity: {
        type: 'UserAssigned'
        userAssignedIdentity: identity.id
      }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: imagesStorage.id
          blobContainerName: deadLetterContainerName
        }
      }
    }
  }
}

output name string = sourceEventsSubscription.name
