#!/usr/bin/env node
'use strict';
// The CLI runs from the compiled tree (built by `npm ci` through the prepare script);
// a source checkout without a build falls back to ts-node so development needs no extra step.
const path = require('node:path');
const fs = require('node:fs');
const compiled = path.join(__dirname, '..', 'dist', 'harness', 'cli.js');
if (fs.existsSync(compiled)) {
  require(compiled).main(process.argv);
} else {
  require('ts-node').register({ transpileOnly: true, project: path.join(__dirname, '..', 'tsconfig.json') });
  require(path.join(__dirname, '..', 'harness', 'cli.ts')).main(process.argv);
}
