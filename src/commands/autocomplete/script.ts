import { autocompleteCommand } from '../../cli/autocomplete-plugin.js'

/** `ory-proxy autocomplete script <shell>`: what the shell set-up printed by `autocomplete` runs. */
export default await autocompleteCommand('script')
