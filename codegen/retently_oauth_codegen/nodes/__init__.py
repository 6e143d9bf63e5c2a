"""One module per JSON Schema construct: each writes the checking (and building) lines of its keywords for one
node, given the writer (`converter.Writer`) that names functions, patterns and constant sets. The writer puts
them together into one function per node, or inline into the parent for scalar leaves."""
