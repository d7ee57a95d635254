// Renderer entry: connect the bridge (the desktop preload's, else the browser mode's WebSocket), ask
// the backend who it is, and mount the IDE.
import '@xterm/xterm/css/xterm.css';
import { createBridgeClient } from '../core/common/bridge/client.js';
import { App } from './app.js';
import { h } from './dom.js';
import { TopologyEditor } from './editor/topology-editor.js';
import { desktopTransport, webSocketTransport } from './transport.js';

const root = document.getElementById('app')!;
try {
  const transport = desktopTransport() ?? (await webSocketTransport());
  const client = createBridgeClient(transport);
  const info = await client.call('app.info', {});
  document.title = `nestbed — ${info.folder.split('/').at(-1) ?? info.folder}`;
  const app = new App(client, info, new TopologyEditor());
  app.mount(root);
  (window as unknown as { nestbedApp?: App }).nestbedApp = app;
} catch (e) {
  root.replaceChildren(h('div', { class: 'welcome' }, h('h2', {}, 'nestbed could not start'), h('p', {}, (e as Error).message)));
}
