pytest_plugins = ["tests.stack.fixtures", "tests.stack.kube_fixtures", "tests.stack.hostile_stack"]
