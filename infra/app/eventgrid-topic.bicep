// The Event Grid system topic of the images account. It carries the app's identity so that the
// subscription (created after deploy, see infra/hooks/postdeploy.sh) can dead-letter with it
// instead of with a storage key.
param name string
param location string
param tags object
param storageAccountName string
param identityId string

resource imagesAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource systemTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: name
  location: location
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    source: imagesAccount.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

output name string = systemTopic.name
