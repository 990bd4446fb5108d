#!/usr/bin/env node
'use strict';
// One of blackstart's own components (services/main.ts: `blackstart-component <kind> <options-json>`),
// for estate files that run them beside software of their own (estates/regional-patroni.yaml's apps).
// Runs from the compiled tree, or through ts-node in a source checkout without a build, as bin/blackstart.js.
const path = require('node:path');
const fs = require('node:fs');
const compiled = path.join(__dirname, '..', 'dist', 'services', 'main.js');
if (fs.existsSync(compiled)) {
  require(compiled);
} else {
  require('ts-node').register({ transpileOnly: true, project: path.join(__dirname, '..', 'tsconfig.json') });
  require(path.join(__dirname, '..', 'services', 'main.ts'));
}
