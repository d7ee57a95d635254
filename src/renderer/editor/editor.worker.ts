// Monaco's editor worker, bundled by Vite (imported with ?worker).
import 'monaco-editor/editor/editor.worker.js';
