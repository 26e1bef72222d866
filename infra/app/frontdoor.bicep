// Azure Front Door Standard in front of the derivatives container: edge caching near viewers, one
// stable hostname for derivative URLs, and origin egress only on a cache miss. Derivative names are
// immutable per source version and carry `Cache-Control: public, max-age=31536000, immutable` for
// browsers; the edge keeps a copy for at most edgeCacheDuration (rule set below), so a deleted photo's
// derivatives leave every edge within that time without a purge.
param profileName string
param endpointName string
param tags object
@description('Blob host of the derivatives account, e.g. stdrvxyz.blob.core.windows.net.')
param originHostName string
@description('The public-read derivatives container; the only path the route serves.')
param containerName string
@description('Longest time an edge serves a cached derivative before asking the origin again (d.hh:mm:ss). Bounds how long a deleted photo stays reachable through Front Door; each expiry costs one origin read per edge and derivative.')
param edgeCacheDuration string = '1.00:00:00'

resource profile 'Microsoft.Cdn/profiles@2024-02-01' = {
  name: profileName
  location: 'global'
  tags: tags
  sku: { name: 'Standard_AzureFrontDoor' }
}

resource endpoint 'Microsoft.Cdn/profiles/afdEndpoints@2024-02-01' = {
  parent: profile
  name: endpointName
  location: 'global'
  tags: tags
  properties: { enabledState: 'Enabled' }
}

resource originGroup 'Microsoft.Cdn/profiles/originGroups@2024-02-01' = {
  parent: profile
  name: 'derivatives'
  properties: {
    // One origin: no health probes (they would only add origin requests).
    loadBalancingSettings: { sampleSize: 4, successfulSamplesRequired: 3, additionalLatencyInMilliseconds: 50 }
    sessionAffinityState: 'Disabled'
  }
}

resource origin 'Microsoft.Cdn/profiles/originGroups/origins@2024-02-01' = {
  parent: originGroup
  name: 'derivatives-blob'
  properties: {
    hostName: originHostName
    originHostHeader: originHostName
    httpPort: 80
    httpsPort: 443
    priority: 1
    weight: 1000
    enabledState: 'Enabled'
    enforceCertificateNameCheck: true
  }
}

// The edge TTL, decoupled from the browsers' year: without it Front Door would honour the origin's
// max-age=31536000 and an edge could serve a deleted photo for up to a year. Override always: every
// cacheable derivative response is kept for edgeCacheDuration, then revalidated at the origin (a deleted
// blob then answers 404). Only the edge's copy is bounded; the Cache-Control the origin sends is passed on.
resource ruleSet 'Microsoft.Cdn/profiles/ruleSets@2024-02-01' = {
  parent: profile
  name: 'derivativecache'
}

resource edgeTtl 'Microsoft.Cdn/profiles/ruleSets/rules@2024-02-01' = {
  parent: ruleSet
  name: 'edgettl'
  properties: {
    order: 1
    // No condition: every request of the route (it serves derivatives only).
    conditions: []
    actions: [
      {
        name: 'RouteConfigurationOverride'
        parameters: {
          typeName: 'DeliveryRuleRouteConfigurationOverrideActionParameters'
          cacheConfiguration: {
            queryStringCachingBehavior: 'IgnoreQueryString'
            isCompressionEnabled: 'Disabled'
            cacheBehavior: 'OverrideAlways'
            cacheDuration: edgeCacheDuration
          }
        }
      }
    ]
    matchProcessingBehavior: 'Continue'
  }
}

resource route 'Microsoft.Cdn/profiles/afdEndpoints/routes@2024-02-01' = {
  parent: endpoint
  name: 'derivatives'
  properties: {
    originGroup: { id: originGroup.id }
    // Only the derivatives container: no other path of the account is reachable through the edge.
    patternsToMatch: ['/${containerName}/*']
    supportedProtocols: ['Http', 'Https']
    httpsRedirect: 'Enabled'
    forwardingProtocol: 'HttpsOnly'
    linkToDefaultDomain: 'Enabled'
    enabledState: 'Enabled'
    ruleSets: [{ id: ruleSet.id }]
    cacheConfiguration: {
      // A query string never selects another derivative; ignoring it stops cache-busting URLs from
      // reaching the origin.
      queryStringCachingBehavior: 'IgnoreQueryString'
      // Derivatives are already-compressed images.
      compressionSettings: { isCompressionEnabled: false, contentTypesToCompress: [] }
    }
  }
  // Front Door rejects a route whose origin group has no origin yet (and a rule set without its rule).
  dependsOn: [origin, edgeTtl]
}

output hostName string = endpoint.properties.hostName
output baseUrl string = 'https://${endpoint.properties.hostName}/${containerName}'
