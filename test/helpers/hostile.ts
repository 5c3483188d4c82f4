/** Texts made to hurt a parser, shared by the tests of form files and of the staff editor. */

/** "Billion laughs": each line nine times the one before. */
export const ALIAS_BOMB = [
  'id: bomb', 'title: Bomb', 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ...['b', 'c', 'd', 'e', 'f', 'g'].map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefg'[i]}`).join(',')}]`), '',
].join('\n')
