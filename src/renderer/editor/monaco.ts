// Monaco, slim (the editor, its features and YAML tokens; no JSON/CSS/HTML/TS services), with
// monaco-yaml for completion and hover from nestbed's generated JSON Schema. Its own validation is off:
// the diagnostics are nestbed's validator's (the same as the CLI's).
//
// Versions (README "Editor"): monaco-editor 0.57.0 with monaco-yaml 5.5.1. Since monaco-editor 0.55,
// `editor.createWebWorker()` requires a `worker` option; monaco-yaml 5.5.1 (through
// monaco-worker-manager 2.0.1) still calls it the old way ({ moduleId, label, createData }) and its
// worker never starts (monaco-yaml issues #272, #278). Up to 0.54 monaco's full bundle patched that;
// the shim below does the same, for the object given to monaco-yaml only. (vite.config.ts aliases the
// deep `monaco-editor/esm/...` import of monaco-worker-manager that 0.56's exports map refuses.)
import * as monaco from 'monaco-editor/editor/editor.api.js';
import 'monaco-editor/features/register.all.js';
import 'monaco-editor/languages/definitions/yaml/register.js';
import { configureMonacoYaml } from 'monaco-yaml';
import topologySchema from '../../../schema/topology.schema.json';
import EditorWorker from './editor.worker.ts?worker';
import YamlWorker from './yaml.worker.ts?worker';

globalThis.MonacoEnvironment = {
  getWorker(_moduleId: string, label: string) {
    if (label === 'yaml') return new YamlWorker();
    return new EditorWorker();
  },
};

interface LegacyWorkerOptions {
  readonly worker?: unknown;
  readonly label?: string;
  readonly createData?: unknown;
  readonly host?: unknown;
  readonly keepIdleModels?: boolean;
}

const createWebWorker = monaco.editor.createWebWorker;
const monacoForYaml = {
  ...monaco,
  editor: {
    ...monaco.editor,
    createWebWorker(opts: LegacyWorkerOptions) {
      if (opts.worker) return createWebWorker(opts as Parameters<typeof createWebWorker>[0]);
      // the old bootstrap: the first message starts the worker, the second carries createData
      const worker = Promise.resolve(globalThis.MonacoEnvironment!.getWorker!('workerMain.js', opts.label ?? 'yaml')).then((w: Worker) => {
        w.postMessage('ignore');
        w.postMessage(opts.createData);
        return w;
      });
      return createWebWorker({ worker, host: opts.host, keepIdleModels: opts.keepIdleModels } as Parameters<typeof createWebWorker>[0]);
    },
  },
} as unknown as typeof monaco;

configureMonacoYaml(monacoForYaml, {
  enableSchemaRequest: false,
  validate: false,
  completion: true,
  hover: true,
  schemas: [{ uri: 'inmemory://nestbed/topology.schema.json', fileMatch: ['*'], schema: topologySchema as never }],
});

export { monaco };
