// Durable Task Scheduler: the managed Durable Functions backend (identity-only access over gRPC,
// a built-in dashboard, no task-hub queues and tables in the host's storage account).
// API version and SKU names as in Azure-Samples/Durable-Task-Scheduler and the ARM reference
// (Microsoft.DurableTask/schedulers, 2025-11-01).
param name string
param location string
param tags object
@description('Task hub name (the Durable Functions hubName in Azure).')
param taskHubName string
@allowed(['Consumption', 'Dedicated'])
@description('Consumption: billed per action, no fixed cost; Dedicated: reserved capacity units for steady high throughput.')
param skuName string = 'Consumption'
@minValue(1)
@description('Capacity units; Dedicated only.')
param dedicatedCapacity int = 1

resource scheduler 'Microsoft.DurableTask/schedulers@2025-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    // Network reach only (an empty list refuses every caller); every call still needs an Entra token
    // of an identity holding a Durable Task data role.
    ipAllowlist: ['0.0.0.0/0']
    sku: skuName == 'Dedicated' ? { name: 'Dedicated', capacity: dedicatedCapacity } : { name: 'Consumption' }
  }
}

resource taskHub 'Microsoft.DurableTask/schedulers/taskHubs@2025-11-01' = {
  parent: scheduler
  name: taskHubName
}

output name string = scheduler.name
output endpoint string = scheduler.properties.endpoint
output taskHubName string = taskHub.name
