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
      // -1: TTL on, no default expiry. Documents live until deleted; a tombstone's own `ttl` (7 days) expires
      // it. Without defaultTtl on the container, Cosmos ignores every item's `ttl`.
      defaultTtl: -1
      indexingPolicy: {
        indexingMode: 'consistent'
        automatic: true
        // Scalar fields stay queryable for operators (status, source name, timestamps); the variant array is
        // never filtered on, so indexing it would only add write RUs. Of the errors only the code is indexed:
        // the console filters on it (EXISTS(... e.code = @errorCode)); the more precise included path wins
        // over the excluded /errors/*.
        includedPaths: [{ path: '/*' }, { path: '/errors/[]/code/?' }]
        excludedPaths: [{ path: '/variants/*' }, { path: '/errors/*' }, { path: '/"_etag"/?' }]
        // The console's status filter with its newest-first order: WHERE c.status = @s ORDER BY c.updatedAt DESC.
        compositeIndexes: [
          [
            { path: '/status', order: 'ascending' }
            { path: '/updatedAt', order: 'descending' }
          ]
        ]
      }
    }
  }
}

output name string = account.name
output endpoint string = account.properties.documentEndpoint
