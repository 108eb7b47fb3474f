#!/usr/bin/env node
import '../dist/tug.mjs';
