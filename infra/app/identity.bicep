// The one user-assigned identity the function app (and Event Grid dead-lettering) uses for everything.
// User-assigned, not system-assigned: it exists before the app, so role assignments are in place
// before the first instance starts, and it survives re-creating the app.
param name string
param location string
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
