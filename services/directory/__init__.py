"""directory: district, schools, classrooms, people, enrollments and guardian links."""
