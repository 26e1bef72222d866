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
@description('Containers whose blobs tagged outcome=refused (blob index tag the pipeline sets on a source it refused for good) a lifecycle rule deletes.')
param refusedSourceContainers string[] = []
@minValue(1)
@description('Age in days (since the upload) after which a refused source is deleted: long enough for its owner and operators to see why.')
param refusedSourceDays int = 7

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
var expireRule = {
  name: 'expire-scratch'
  enabled: true
  type: 'Lifecycle'
  definition: {
    filters: {
      blobTypes: ['blockBlob']
      prefixMatch: map(expiringContainers, container => '${container}/')
    }
    actions: {
      baseBlob: { delete: { daysAfterModificationGreaterThan: expireAfterDays } }
    }
  }
}

// Uploads the pipeline refused for good (too large for the SAS's declared size, not an image, a pixel bomb):
// the writer tags them outcome=refused (src/lifecycle/refusedSource.ts) and this rule deletes them. Lifecycle
// filters compare tags by equality only, so the tag is one fixed value.
var refusedRule = {
  name: 'delete-refused-sources'
  enabled: true
  type: 'Lifecycle'
  definition: {
    filters: {
      blobTypes: ['blockBlob']
      prefixMatch: map(refusedSourceContainers, container => '${container}/')
      blobIndexMatch: [{ name: 'outcome', op: '==', value: 'refused' }]
    }
    actions: {
      baseBlob: { delete: { daysAfterModificationGreaterThan: refusedSourceDays } }
      // A create-only SAS also allows Snapshot Blob: a refused upload's snapshots go with it. (Blob versioning
      // is off on this account, so there are no previous versions to delete.)
      snapshot: { delete: { daysAfterCreationGreaterThan: refusedSourceDays } }
    }
  }
}

// Snapshots of sources: the app never takes one, but a create-only SAS lets its holder snapshot the blob it
// created (with any metadata). A snapshot carries no tag the rule above can rely on, so every snapshot in the
// sources containers goes after refusedSourceDays whatever its base blob's fate.
var sourceSnapshotRule = {
  name: 'delete-source-snapshots'
  enabled: true
  type: 'Lifecycle'
  definition: {
    filters: {
      blobTypes: ['blockBlob', 'appendBlob']
      prefixMatch: map(refusedSourceContainers, container => '${container}/')
    }
    actions: {
      snapshot: { delete: { daysAfterCreationGreaterThan: refusedSourceDays } }
    }
  }
}

// One management policy per account ('default') holds every rule.
resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = if (!empty(expiringContainers) || !empty(refusedSourceContainers)) {
  parent: account
  name: 'default'
  properties: {
    policy: {
      rules: concat(empty(expiringContainers) ? [] : [expireRule], empty(refusedSourceContainers) ? [] : [refusedRule, sourceSnapshotRule])
    }
  }
}

output id string = account.id
output name string = account.name
output blobEndpoint string = account.properties.primaryEndpoints.blob
