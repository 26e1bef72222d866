// A storage account reachable only with Entra ID (no shared key, no SAS signed by a key), TLS 1.2+,
// with the given containers. Anonymous access exists only where a caller asks for public-read
// containers (the derivatives account): then blobs there are readable by exact name, and still no
// container can be listed anonymously (`publicAccess: 'Blob'`, not 'Container').
param name string
param location string
param tags object
@description('Private blob containers to create.')
param containers string[] = []
@description('Containers whose blobs anyone may read by exact name; non-empty allows anonymous blob reads on this account only.')
param publicReadContainers string[] = []
@description('CORS rules of the blob service (browser uploads with a user-delegation SAS); empty for none.')
param corsRules object[] = []
@description('Containers whose blobs a lifecycle rule deletes once older than expireAfterDays (scratch space).')
param expiringContainers string[] = []
@minValue(1)
@description('Age in days after which blobs in expiringContainers are deleted (the daily lifecycle run can take up to a day more).')
param expireAfterDays int = 1

var allowPublicRead = !empty(publicReadContainers)

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: allowPublicRead
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: { defaultAction: 'Allow', bypass: 'AzureServices' }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    cors: { corsRules: corsRules }
  }
}

resource blobContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [
  for container in containers: {
    parent: blobService
    name: container
    properties: { publicAccess: 'None' }
  }
]

// Read by exact name only: 'Blob' lets anyone GET a blob whose name they know and refuses an anonymous
// List Blobs, so names (user ids, file names) cannot be enumerated.
resource publicReadBlobContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [
  for container in publicReadContainers: {
    parent: blobService
    name: container
    properties: { publicAccess: 'Blob' }
  }
]

// A safety net, not the mechanism: the app deletes its scratch blobs itself; this removes what a crash
// left behind.
resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = if (!empty(expiringContainers)) {
  parent: account
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'expire-scratch'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: ['blockBlob']
              prefixMatch: [for container in expiringContainers: '${container}/']
            }
            actions: {
              baseBlob: { delete: { daysAfterModificationGreaterThan: expireAfterDays } }
            }
          }
        }
      ]
    }
  }
}

output id string = account.id
output name string = account.name
output blobEndpoint string = account.properties.primaryEndpoints.blob
