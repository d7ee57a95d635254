// monaco-yaml's language worker (completion and hover from the JSON Schema), imported with ?worker.
import 'monaco-yaml/yaml.worker.js';
