import * as v from 'valibot';

// The parts of bw's JSON colibri relies on (see VAULT-FACTS.md); other fields are ignored.

/** `bw status`. serverUrl is null until `bw config server` ran; userId is absent when logged out. */
export const bwStatusSchema = v.object({
  serverUrl: v.nullable(v.string()),
  status: v.picklist(['unauthenticated', 'locked', 'unlocked']),
  userId: v.optional(v.nullable(v.string())),
  userEmail: v.optional(v.nullable(v.string())),
});
export type BwStatus = v.InferOutput<typeof bwStatusSchema>;

/** One entry of `bw list collections`. */
export const bwCollectionSchema = v.object({
  id: v.pipe(v.string(), v.minLength(1)),
  name: v.string(),
  organizationId: v.nullable(v.string()),
});
export type BwCollection = v.InferOutput<typeof bwCollectionSchema>;

/** A custom field: type 0 text, 1 hidden, 2 boolean ("true"/"false"), 3 linked. */
export const bwFieldSchema = v.object({
  name: v.nullable(v.string()),
  value: v.nullish(v.string()),
  type: v.number(),
});
export type BwField = v.InferOutput<typeof bwFieldSchema>;

/** An item of `bw list items`. Type 1 login, 2 secure note; `notes` is absent when null. */
export const bwItemSchema = v.object({
  id: v.pipe(v.string(), v.minLength(1)),
  name: v.string(),
  type: v.number(),
  collectionIds: v.array(v.string()),
  notes: v.nullish(v.string()),
  fields: v.nullish(v.array(bwFieldSchema)),
  login: v.nullish(v.object({ password: v.nullish(v.string()) })),
});
export type BwItem = v.InferOutput<typeof bwItemSchema>;

export const bwCollectionListSchema = v.array(bwCollectionSchema);
export const bwItemListSchema = v.array(bwItemSchema);
