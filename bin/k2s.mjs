#!/usr/bin/env node
// The k2s command: runs the TypeScript sources directly through tsx, no build step to forget.
import { register } from 'tsx/esm/api'

register()
await import('./main.ts')
