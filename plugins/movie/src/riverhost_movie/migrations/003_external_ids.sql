-- Movies and files managed by an outside service (Radarr) are looked up by that service's ids.
CREATE INDEX movies_radarr_id ON movie.movies (radarr_id) WHERE radarr_id IS NOT NULL;
CREATE INDEX movie_files_radarr_file_id ON movie.movie_files (radarr_file_id)
    WHERE radarr_file_id IS NOT NULL;
