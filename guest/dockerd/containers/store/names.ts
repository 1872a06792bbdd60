/**
 * Container names: Docker's validation ("/name", [a-zA-Z0-9][a-zA-Z0-9_.-]) and generated
 * adjective_noun names for containers created without one. Word lists are our own.
 */
import { randomInt } from 'node:crypto';
import { TsdError } from '../../../api/errors.js';

const VALID_NAME = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** "web" or "/web" → "/web"; Docker's 400 otherwise. */
export function normalizeName(name: string): string {
  if (!VALID_NAME.test(name)) throw new TsdError('invalid-argument', `Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  return name.startsWith('/') ? name : `/${name}`;
}

const ADJECTIVES = [
  'amber', 'brave', 'calm', 'clever', 'cosmic', 'crisp', 'daring', 'eager', 'fancy', 'gentle', 'glad', 'golden',
  'happy', 'hardy', 'jolly', 'keen', 'kind', 'lively', 'lucid', 'merry', 'mellow', 'nimble', 'noble', 'quiet',
  'rapid', 'serene', 'sharp', 'shiny', 'steady', 'sunny', 'swift', 'tidy', 'vivid', 'warm', 'witty', 'zesty',
];
const NOUNS = [
  'badger', 'beacon', 'canyon', 'comet', 'condor', 'delta', 'ember', 'falcon', 'fjord', 'gecko', 'glacier', 'harbor',
  'heron', 'island', 'lagoon', 'lynx', 'meadow', 'meteor', 'nebula', 'orbit', 'otter', 'pebble', 'pine', 'quasar',
  'raven', 'reef', 'river', 'summit', 'tundra', 'walrus', 'willow', 'yak', 'zephyr', 'prairie', 'marmot', 'puffin',
];

export function generateName(taken: (name: string) => boolean): string {
  for (let attempt = 0; ; attempt++) {
    const base = `${ADJECTIVES[randomInt(ADJECTIVES.length)]}_${NOUNS[randomInt(NOUNS.length)]}`;
    // After a few collisions add a digit, as Docker does, so that generation always ends.
    const name = `/${attempt < 10 ? base : `${base}${randomInt(10)}`}`;
    if (!taken(name)) return name;
  }
}
