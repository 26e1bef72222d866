// Azure Front Door Standard in front of the derivatives container: edge caching near viewers, one
// stable hostname for derivative URLs, and origin egress only on a cache miss. Derivative names are
// immutable per source version and carry `Cache-Control: public, max-age=31536000, immutable`, which
// Front Door honours, so a derivative is fetched from the origin about once per edge.
param profileName string
param endpointName string
param tags object
@description('Blob host of the derivatives account, e.g. stdrvxyz.blob.core.windows.net.')
param originHostName string
@description('The public-read derivatives container; the only path the route serves.')
param containerName string

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
    cacheConfiguration: {
      // A query string never selects another derivative; ignoring it stops cache-busting URLs from
      // reaching the origin.
      queryStringCachingBehavior: 'IgnoreQueryString'
      // Derivatives are already-compressed images.
      compressionSettings: { isCompressionEnabled: false, contentTypesToCompress: [] }
    }
  }
  // Front Door rejects a route whose origin group has no origin yet.
  dependsOn: [origin]
}

output hostName string = endpoint.properties.hostName
output baseUrl string = 'https://${endpoint.properties.hostName}/${containerName}'
