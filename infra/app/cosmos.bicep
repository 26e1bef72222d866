// Cosmos DB (SQL API), serverless: uploads arrive in bursts and the site reads one document per image,
// so pay-per-request beats provisioned RU/s that sit idle (and matches Flex Consumption's scale to zero).
// Local (key) auth is disabled: the app signs in with its managed identity and a data-plane role.
param name string
param location string
param tags object
param databaseName string
param containerName string

resource account 'Microsoft.DocumentDB/databaseAccounts@2024-11-15' = {
  name: name
  location: location
  tags: tags
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    locations: [{ locationName: location, failoverPriority: 0, isZoneRedundant: false }]
    consistencyPolicy: { defaultConsistencyLevel: 'Session' }
    capabilities: [{ name: 'EnableServerless' }]
    disableLocalAuth: true
    disableKeyBasedMetadataWriteAccess: true
    minimalTlsVersion: 'Tls12'
    publicNetworkAccess: 'Enabled'
  }
}

resource database 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2024-11-15' = {
  parent: account
  name: databaseName
  properties: { resource: { id: databaseName } }
}

resource container 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-11-15' = {
  parent: database
  name: containerName
  properties: {
    resource: {
      id: containerName
      // One document per source path, addressed by id: every read and write is a point operation.
      partitionKey: { paths: ['/id'], kind: 'Hash', version: 2 }
      indexingPolicy: {
        indexingMode: 'consistent'
        automatic: true
        // Scalar fields stay queryable for operators (status, source name, timestamps); the variant and
        // error arrays are never filtered on, so indexing them would only add write RUs.
        includedPaths: [{ path: '/*' }]
        excludedPaths: [{ path: '/variants/*' }, { path: '/errors/*' }, { path: '/"_etag"/?' }]
      }
    }
  }
}

output name string = account.name
output endpoint string = account.properties.documentEndpoint
