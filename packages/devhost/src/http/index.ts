export { startHostServer, type HostServer, type HostServerOptions } from './server';
export { handleEventGridWebhook } from './eventGridWebhook';
export { compileRoute, type RouteTemplate } from './routeTemplate';
