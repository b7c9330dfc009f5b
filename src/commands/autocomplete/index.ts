import { autocompleteCommand } from '../../cli/autocomplete-plugin.js'

/** `ory-proxy autocomplete [bash|zsh|powershell]`: shell completion set-up, from @oclif/plugin-autocomplete. */
export default await autocompleteCommand('index')
