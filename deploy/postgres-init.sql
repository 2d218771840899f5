-- One database per service: no service reads another's tables.
CREATE DATABASE identity;
CREATE DATABASE directory;
CREATE DATABASE notify;
CREATE DATABASE rostering;
