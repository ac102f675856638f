// Which entities are the player's own. The protocol has no notion of owner,
// so the inspector guesses from the rules' naming: an entity is the
// player's when its kind's first integer field named player, owner,
// player_id, playerId, owner_id or ownerId holds the welcome's player id
// (never for a spectator, whose id is 0). An `entity` field of such a name
// (arena's bullet `owner`, a ship) names an entity, not a player, and is
// not taken.

export const OWNER_FIELDS = ['player', 'owner', 'player_id', 'playerId', 'owner_id', 'ownerId'];
const INTEGER = new Set(['u8', 'u16', 'u32', 'i8', 'i16', 'i32']);

/** kind name → the field that names its owner */
let ownerFields = new Map();

/** Reads which field of each kind names its owner. @param {import('../tickwire.js').Schema} schema */
export function setOwnerSchema(schema) {
  ownerFields = new Map();
  for (const kind of schema.kinds) {
    const field = OWNER_FIELDS.map((name) => kind.fields.find((f) => f.name === name && INTEGER.has(f.type))).find(Boolean);
    if (field) ownerFields.set(kind.name, field.name);
  }
}

/** The player id an entity names as its owner, or 0. @param {{kind: string, fields: Record<string, any>}} entity */
export function ownerOf(entity) {
  const name = ownerFields.get(entity.kind);
  const v = name === undefined ? 0 : entity.fields[name];
  return typeof v === 'number' && v > 0 ? v : 0;
}

/** @param {{kind: string, fields: Record<string, any>}} entity @param {number} player */
export function ownedBy(entity, player) {
  return player !== 0 && ownerOf(entity) === player;
}
