-- The entry point, last in every script: dispatch the call (see lib.lua, R.main).
return R.main(KEYS, ARGV)
