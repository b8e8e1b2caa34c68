# The `camoe` command line.
camoe_add_test(cli_commands_test
  SOURCES cli_commands_test.cc
  LIBS camoe_cli_runner camoe_model camoe_text camoe_image)
add_dependencies(cli_commands_test camoe)
