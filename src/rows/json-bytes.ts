/** The bytes of JSON's punctuation, for the code that reads or writes JSON as bytes. */
export const quote = 0x22
export const backslash = 0x5c
export const colon = 0x3a
export const comma = 0x2c
export const minus = 0x2d
export const space = 0x20
export const openBrace = 0x7b
export const closeBrace = 0x7d
export const openBracket = 0x5b
export const closeBracket = 0x5d
